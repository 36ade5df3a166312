import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RtcEventClaim, RtcEventClaimStore } from './claims/event-claim-store.interface';
import {
  InboundApp,
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  startInboundApp,
} from '../../test/inbound-app';
import { MemoryEventClaimStore } from './claims/memory-event-claim.store';
import { OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcEvent, RtcEventDelivery } from './rtc-inbound.types';
import { TEST_REDIS_URL } from '../../test/test-redis';

const REDIS_URL = TEST_REDIS_URL;

/** A promise and its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** What the handler does next; shared by every app instance of a test. */
const behaviour = {
  runs: 0,
  /** Runs before the handler returns; throws to fail. */
  body: async (_event: RtcEvent): Promise<void> => undefined,
  finished: gate(),
};

@Injectable()
class Counted {
  @OnRtcEvent('UserJoinRoom')
  async joined(event: RtcEvent) {
    behaviour.runs += 1;
    try {
      await behaviour.body(event);
    } finally {
      behaviour.finished.open();
    }
  }
}

/** A memory store that opens `allClaimed` once `expected` claims were asked of it. */
class CountingStore extends MemoryEventClaimStore implements RtcEventClaimStore {
  claims = 0;
  allClaimed = gate();

  constructor(private readonly expected: number) {
    super(1_000);
  }

  override async claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim> {
    const result = await super.claim(key, owner, leaseMs);
    this.claims += 1;
    if (this.claims >= this.expected) this.allClaimed.open();
    return result;
  }
}

const eventsPath = '/rtc/events';

beforeEach(() => {
  behaviour.runs = 0;
  behaviour.body = async () => undefined;
  behaviour.finished = gate();
});

describe('RtcInboundModule: each event handled once under at-least-once delivery (memory store)', () => {
  let running: InboundApp;
  let store: CountingStore;
  const deliveries: RtcEventDelivery[] = [];

  beforeAll(async () => {
    store = new CountingStore(20);
    running = await startInboundApp({
      inbound: {
        events: { path: eventsPath, callbackSecret: SPEC_CALLBACK_SECRET, deadlineMs: 1_500 },
        deduplication: { store },
        onEventDelivery: (delivery) => deliveries.push(delivery),
      },
      providers: [Counted],
    });
  });
  afterAll(() => running.close());
  beforeEach(() => deliveries.splice(0));

  it('20 concurrent deliveries of one EventId run the handler once, and all are answered 200', async () => {
    store.claims = 0;
    store.allClaimed = gate();
    // The handler holds until all 20 deliveries claimed: 19 of them arrive while it runs.
    behaviour.body = () => store.allClaimed.promise;
    const event = signedEvent();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(`${running.url}${eventsPath}`, event)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(behaviour.runs).toBe(1);
    expect(answers.filter((a) => a.text === '{"outcome":"handled"}')).toHaveLength(1);
    expect(answers.filter((a) => a.text === '{"outcome":"duplicate"}')).toHaveLength(19);
    expect(deliveries).toHaveLength(20);
    expect(deliveries.filter((d) => d.outcome === 'duplicate')).toHaveLength(19);
  });

  it('a handler that fails once runs again on the retry, and then never again', async () => {
    const event = signedEvent();
    behaviour.body = async () => {
      if (behaviour.runs === 1) throw new Error('first run fails');
    };
    const first = await post(`${running.url}${eventsPath}`, event);
    expect(first.status).toBe(500);
    expect(first.json()).toEqual({ message: 'the delivery could not be handled; retry later' });
    const retry = await post(`${running.url}${eventsPath}`, event);
    expect(retry.status).toBe(200);
    const last = await post(`${running.url}${eventsPath}`, event);
    expect(last.status).toBe(200);
    expect(last.text).toBe('{"outcome":"duplicate"}');
    expect(behaviour.runs).toBe(2);
    expect(deliveries.map((d) => d.outcome)).toEqual(['failed', 'handled', 'duplicate']);
  });

  it('a handler slower than the deadline gets a 503 and keeps running; the retry is answered 200 without a second run', async () => {
    const release = gate();
    behaviour.body = () => release.promise;
    const event = signedEvent();
    const first = await post(`${running.url}${eventsPath}`, event);
    expect(first.status).toBe(503);
    expect(first.json()).toEqual({ message: 'still being handled; retry later' });
    release.open();
    await behaviour.finished.promise;
    const retry = await post(`${running.url}${eventsPath}`, event);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe('{"outcome":"duplicate"}');
    expect(behaviour.runs).toBe(1);
    expect(deliveries.map((d) => d.outcome)).toEqual(['timed_out', 'duplicate']);
  });

  it('a retry that arrives while the slow handler still runs waits for it and answers the same', async () => {
    const release = gate();
    behaviour.body = () => release.promise;
    const event = signedEvent();
    expect((await post(`${running.url}${eventsPath}`, event)).status).toBe(503);
    const retry = post(`${running.url}${eventsPath}`, event);
    release.open();
    expect((await retry).status).toBe(200);
    expect(behaviour.runs).toBe(1);
  });

  it('a handler that fails after its deadline runs again on the retry', async () => {
    const release = gate();
    behaviour.body = async () => {
      if (behaviour.runs === 1) {
        await release.promise;
        throw new Error('late failure');
      }
    };
    const event = signedEvent();
    expect((await post(`${running.url}${eventsPath}`, event)).status).toBe(503);
    release.open();
    await behaviour.finished.promise;
    expect((await post(`${running.url}${eventsPath}`, event)).status).toBe(200);
    expect(behaviour.runs).toBe(2);
  });

  it('a delivery that waited for a run that failed answers the failure too, without running', async () => {
    const release = gate();
    store.claims = 0;
    behaviour.body = async () => {
      await release.promise;
      throw new Error('fails');
    };
    const event = signedEvent();
    const first = post(`${running.url}${eventsPath}`, event);
    // The second delivery claims after the first: the store counts both claims.
    const waitClaims = new Promise<void>((resolve) => {
      const check = () => (store.claims >= 2 ? resolve() : setImmediate(check));
      check();
    });
    const second = post(`${running.url}${eventsPath}`, event);
    await waitClaims;
    release.open();
    expect([(await first).status, (await second).status]).toEqual([500, 500]);
    expect(behaviour.runs).toBe(1);
  });
});

describe('RtcInboundModule: two app instances on one Redis (the budget connection)', () => {
  const prefix = `test:inbound-lib:${randomUUID()}:`;
  let instances: InboundApp[];

  beforeAll(async () => {
    instances = await Promise.all(
      [1, 2].map(() =>
        startInboundApp({
          inbound: {
            events: { path: eventsPath, callbackSecret: SPEC_CALLBACK_SECRET },
            deduplication: { redisKeyPrefix: `${prefix}claims:` },
          },
          providers: [Counted],
          messaging: { rateLimit: { redis: REDIS_URL, redisKeyPrefix: `${prefix}budget:` } },
        }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
  });

  it('run an event delivered to both concurrently once', async () => {
    const release = gate();
    behaviour.body = () => release.promise;
    const event = signedEvent();
    const answers = Promise.all(
      Array.from({ length: 10 }, (_, i) => post(`${instances[i % 2].url}${eventsPath}`, event)),
    );
    // Every delivery is in by now or waits for the run; none of them runs it again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    release.open();
    expect((await answers).map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(behaviour.runs).toBe(1);
  });

  it('a failure on one instance is retried on the other, then never again', async () => {
    behaviour.body = async () => {
      if (behaviour.runs === 1) throw new Error('first run fails');
    };
    const event = signedEvent();
    const [a, b] = instances;
    expect((await post(`${a.url}${eventsPath}`, event)).status).toBe(500);
    expect((await post(`${b.url}${eventsPath}`, event)).status).toBe(200);
    expect((await post(`${a.url}${eventsPath}`, event)).status).toBe(200);
    expect(behaviour.runs).toBe(2);
  });
});

describe('RtcInboundModule: a Redis that is down', () => {
  it('answers a non-200 at once (RTC retries), never hangs, and runs nothing', async () => {
    const running = await startInboundApp({
      inbound: { events: { path: eventsPath, callbackSecret: SPEC_CALLBACK_SECRET } },
      providers: [Counted],
      messaging: { rateLimit: { redis: 'redis://127.0.0.1:1' } },
    });
    try {
      const response = await post(`${running.url}${eventsPath}`, signedEvent());
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({
        message: 'the de-duplication store is unavailable; retry later',
      });
      expect(behaviour.runs).toBe(0);
    } finally {
      await running.close();
    }
  });
});
