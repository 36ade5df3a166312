import { Injectable, LoggerService } from '@nestjs/common';
import { post, signedEvent, SPEC_CALLBACK_SECRET, startInboundApp } from '../../test/inbound-app';
import { EventDeduplicator } from './claims/event-deduplicator';
import { MemoryEventClaimStore } from './claims/memory-event-claim.store';

const realDrain = EventDeduplicator.prototype.drain;
import { OnRtcEvent } from './rtc-inbound.decorators';

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const hold = { release: gate(), started: gate() };

@Injectable()
class Slow {
  @OnRtcEvent('UserJoinRoom')
  async joined() {
    hold.started.open();
    await hold.release.promise;
  }
}

/** A memory store that says which claims were marked handled. */
class RecordingStore extends MemoryEventClaimStore {
  readonly completed: string[] = [];

  constructor() {
    super(100);
  }

  override async complete(key: string, owner: string, ttlMs: number): Promise<void> {
    await super.complete(key, owner, ttlMs);
    this.completed.push(key);
  }
}

class Lines implements LoggerService {
  readonly warnings: string[] = [];
  log() {}
  error() {}
  warn(message: string) {
    this.warnings.push(message);
  }
}

beforeEach(() => {
  hold.release = gate();
  hold.started = gate();
});

describe('RtcInboundModule on shutdown', () => {
  it('waits for a handler still running after its 503, so its claim is marked handled before the store closes', async () => {
    const store = new RecordingStore();
    const running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET, deadlineMs: 100 },
        deduplication: { store },
      },
      providers: [Slow],
    });
    const event = signedEvent();
    expect((await post(`${running.url}/rtc/events`, event)).status).toBe(503);
    await hold.started.promise;
    // The handler finishes only once shutdown waits for it.
    const drain = jest.spyOn(EventDeduplicator.prototype, 'drain').mockImplementation(function (
      this: EventDeduplicator,
      timeoutMs: number,
    ) {
      hold.release.open();
      return realDrain.call(this, timeoutMs);
    });
    try {
      const completedWhenClosed = await running.close().then(() => [...store.completed]);
      expect(completedWhenClosed).toEqual([`${event.AppId}:${event.EventId}`]);
    } finally {
      drain.mockRestore();
      hold.release.open();
    }
  });

  it('stops waiting after shutdownGraceMs, and says the event may run again', async () => {
    const lines = new Lines();
    const running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET, deadlineMs: 100 },
      },
      providers: [Slow],
      messaging: { shutdownGraceMs: 200 },
      logger: lines,
    });
    expect((await post(`${running.url}/rtc/events`, signedEvent())).status).toBe(503);
    await hold.started.promise;
    await running.close();
    expect(lines.warnings).toContain(
      "Shutdown: 1 RTC event handler(s) still running after 200 ms; their events may run again on RTC's retry",
    );
    hold.release.open();
  });
});
