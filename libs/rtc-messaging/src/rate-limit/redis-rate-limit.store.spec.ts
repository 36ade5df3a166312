import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { BudgetStoreState, CallBudget } from './call-budget';
import {
  RedisRateLimitStore,
  sameSlotKey,
  WIDEST_INTERVAL_HOLD_MS,
} from './redis-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';
import { densest } from '../../test/time-windows';
import { deadPort } from '../../test/dead-port';
import { TEST_REDIS_URL, testRedisAddress, testRedisUrlAt } from '../../test/test-redis';

/**
 * Runs against the real Redis the project's tests require (never a mock): a GCRA in Lua is only
 * proven by Redis running it. If Redis is not there, these tests fail; they do not skip.
 */
const REDIS = testRedisAddress();
/** Where the relay of the outage test listens. */
const LOOPBACK = '127.0.0.1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails after `timeoutMs` (generous: only a bound on hanging). */
async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const start = Date.now(); !condition(); await sleep(10)) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
  }
}

describe('RedisRateLimitStore (the real Redis of REDIS_URL)', () => {
  const prefix = `rtc-messaging:test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const stores: RedisRateLimitStore[] = [];
  const budgets: CallBudget[] = [];
  let admin: Redis;

  function client(url = TEST_REDIS_URL): Redis {
    // A short disconnectTimeout: ioredis leaves that timer running when the socket is already gone.
    const created = new Redis(url, {
      maxRetriesPerRequest: 1,
      disconnectTimeout: 50,
    });
    created.on('error', () => undefined);
    clients.push(created);
    return created;
  }

  function store(options: ConstructorParameters<typeof RedisRateLimitStore>[0]) {
    const created = new RedisRateLimitStore(options);
    stores.push(created);
    return created;
  }

  beforeAll(async () => {
    admin = new Redis(TEST_REDIS_URL, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2_000,
      disconnectTimeout: 50,
    });
    admin.on('error', () => undefined);
    try {
      expect(await admin.ping()).toBe('PONG');
    } catch (error) {
      admin.disconnect();
      throw new Error(
        `These tests need a real Redis at ${REDIS.host}:${REDIS.port} (REDIS_URL; start one with ` +
          '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`): ' +
          String(error),
      );
    }
  });

  afterEach(async () => {
    await Promise.all(budgets.splice(0).map((b) => b.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    // QUIT would wait behind commands queued for a Redis that is down.
    for (const c of clients.splice(0)) {
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    }
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('grants burst + 1 at once, refuses the next with the time until it is allowed, then grants', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    const rate = { intervalMs: 100, burst: 2 };
    for (let i = 0; i < 3; i++) expect(await s.tryTake('basic', rate)).toEqual({ granted: true });
    const refused = await s.tryTake('basic', rate);
    expect(refused).toMatchObject({ granted: false });
    const { retryAfterMs } = refused as { retryAfterMs: number };
    // TAT = t0 + 300 ms: allowed again at t0 + 100, by Redis's clock; a little of that has passed.
    expect(retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(retryAfterMs).toBeLessThanOrEqual(100);

    // Only the refusal's wait is needed (timers never fire early), not a window.
    await sleep(retryAfterMs);
    expect(await s.tryTake('basic', rate)).toEqual({ granted: true });
  });

  it('keeps one TAT, in µs by Redis’s clock, under the prefixed key, expiring when it passes', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    // A fractional interval is rounded up to whole microseconds: 10,000.0004 ms → 10,000,001 µs.
    const rate = { intervalMs: 10_000.0004, burst: 1 };
    const [seconds, micros] = await admin.time();
    const before = Number(seconds) * 1e6 + Number(micros);
    for (let i = 0; i < 5; i++) await s.tryTake('bounded', rate);

    const key = `${prefix}gcra:bounded`;
    expect(await admin.type(key)).toBe('string');
    const tat = Number(await admin.get(key));
    expect(Number.isInteger(tat)).toBe(true);
    // Two grants from rest: TAT = (time of the first) + 2 intervals.
    expect(tat - before - 2 * 10_000_001).toBeGreaterThanOrEqual(0);
    expect(tat - before - 2 * 10_000_001).toBeLessThan(1_000_000);
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(19_000);
    expect(ttl).toBeLessThanOrEqual(20_001);
  });

  it('decides as for a new key once the key is gone', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    const rate = { intervalMs: 60_000, burst: 1 };
    expect(await s.tryTake('gone', rate)).toEqual({ granted: true });
    expect(await s.tryTake('gone', rate)).toEqual({ granted: true });
    expect(await s.tryTake('gone', rate)).toMatchObject({ granted: false });
    // What the key's expiry does when its TAT passes (see the TTL above).
    await admin.del(`${prefix}gcra:gone`);
    expect(await s.tryTake('gone', rate)).toEqual({ granted: true });
    expect(await s.tryTake('gone', rate)).toEqual({ granted: true });
    expect(await s.tryTake('gone', rate)).toMatchObject({ granted: false });
  });

  it('paces every instance at the widest interval any of them asked for lately', async () => {
    // One instance's link needs a wide margin (a long interval), another's a narrow one.
    const wide = store({ client: client(), keyPrefix: prefix });
    const narrow = store({ client: client(), keyPrefix: prefix });
    expect(await wide.tryTake('mixed', { intervalMs: 200, burst: 0 })).toEqual({ granted: true });
    const refused = await narrow.tryTake('mixed', { intervalMs: 20, burst: 0 });
    expect(refused).toMatchObject({ granted: false });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(150);

    // The wide interval holds for a while after the wide instance's last take, then lapses.
    const widestKey = `{${prefix}gcra:mixed}:widest`;
    expect(Number(await admin.get(widestKey))).toBe(200_000);
    expect(await admin.pttl(widestKey)).toBeGreaterThan(WIDEST_INTERVAL_HOLD_MS - 1_000);
    await admin.del(widestKey);
    await sleep(200);
    expect(await narrow.tryTake('mixed', { intervalMs: 20, burst: 0 })).toEqual({ granted: true });
    const next = await narrow.tryTake('mixed', { intervalMs: 20, burst: 0 });
    expect((next as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(20);
  });

  it('decides each take at the time its call arrives at the earliest: Redis’s clock plus the hint', async () => {
    // The far instance's calls reach the upstream 50 ms after their grant, the near one's at once.
    const near = store({ client: client(), keyPrefix: prefix });
    const far = store({ client: client(), keyPrefix: prefix });
    const rate = { intervalMs: 20, burst: 0 };
    const [seconds, micros] = await admin.time();
    const before = Number(seconds) * 1e6 + Number(micros);
    expect(await far.tryTake('arrivals', rate, { earliestMs: 50 })).toEqual({ granted: true });
    // The TAT runs on arrival times: 50 ms ahead of Redis's clock, plus the interval...
    const tat = Number(await admin.get(`${prefix}gcra:arrivals`));
    expect(tat - before).toBeGreaterThanOrEqual(70_000);
    expect(tat - before).toBeLessThan(80_000);
    // ...and the key still expires when the TAT passes by Redis's clock.
    expect(await admin.pttl(`${prefix}gcra:arrivals`)).toBeGreaterThan(60);
    // The near instance waits until its call would arrive one interval after the far one's.
    const nearRefused = await near.tryTake('arrivals', rate, { earliestMs: 0 });
    expect((nearRefused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(60);
    // The far instance only for its interval: its next call arrives 20 ms after its last.
    const farRefused = await far.tryTake('arrivals', rate, { earliestMs: 50 });
    expect((farRefused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(20);
    // A take without a hint is decided at Redis's own time, as the near one's.
    const plain = await near.tryTake('arrivals', rate);
    expect((plain as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(50);
    await expect(near.tryTake('arrivals', rate, { earliestMs: -1 })).rejects.toThrow(RangeError);
  });

  describe('two instances at different distances from the upstream, sharing a key', () => {
    const LIMIT = 50;
    /**
     * The far instance's calls arrive 200 to 201 ms after their grant, the near one's 0 to 1 ms
     * after; each link on its own varies by 1 ms (so each margin rests at its 4 ms floor). The
     * far instance sends first, then the near one: their calls meet in the same upstream seconds.
     * Returns when each call arrived upstream, sorted.
     */
    async function arrivals(key: string, shared: RateLimitStore): Promise<number[]> {
      const instance = (delayMs: number) => {
        const b = new CallBudget(shared, { perSecond: LIMIT, coldStartMs: 0 });
        budgets.push(b);
        // Round trips as its link shows them: from `delayMs` to `delayMs + 1`.
        for (let i = 0; i < 100; i++) b.observeRoundTrip(delayMs + (i % 11) / 10);
        expect(b.marginMs).toBe(4);
        return async () => {
          await b.acquire(key, { priority: 'bulk' });
          times.push(performance.now() + delayMs + Math.random());
        };
      };
      const times: number[] = [];
      const far = instance(200);
      const near = instance(0);
      await Promise.all(Array.from({ length: 40 }, far));
      await Promise.all(Array.from({ length: 40 }, near));
      return times.sort((a, b) => a - b);
    }

    it('spaces their calls where they meet: upstream, within the limit in every second', async () => {
      const shared = store({ client: client(), keyPrefix: prefix });
      expect(densest(await arrivals('bases', shared), 1_000)).toBeLessThanOrEqual(LIMIT);
    });

    it('(a store deciding at grant times lets the upstream see more than its limit)', async () => {
      const redis = store({ client: client(), keyPrefix: prefix });
      const hintless: RateLimitStore = { tryTake: (key, rate) => redis.tryTake(key, rate) };
      expect(densest(await arrivals('no-bases', hintless), 1_000)).toBeGreaterThan(LIMIT);
    });
  });

  it('keeps both of a key’s Redis keys in one cluster slot', () => {
    expect(sameSlotKey('rtc:gcra:app', ':widest')).toBe('{rtc:gcra:app}:widest');
    expect(sameSlotKey('{tenant-1}:gcra:app', ':widest')).toBe('{tenant-1}:gcra:app:widest');
    expect(() => store({ client: client(), keyPrefix: 'odd}prefix:' })).toThrow('hash tag');
  });

  it('sends the script by EVALSHA, not its text with every call', async () => {
    const c = client();
    const s = store({ client: c, keyPrefix: prefix });
    const rate = { intervalMs: 1, burst: 100 };
    // The first take connects and, if Redis lacks the script, loads it with one EVAL.
    await s.tryTake('sha', rate);
    const sent: string[] = [];
    const original = c.sendCommand.bind(c);
    jest.spyOn(c, 'sendCommand').mockImplementation((command, stream) => {
      sent.push(command.name);
      return original(command, stream);
    });
    for (let i = 0; i < 10; i++) await s.tryTake('sha', rate);
    expect(sent).toEqual(Array(10).fill('evalsha'));
  });

  it('three clients sharing a key never grant more than the pace allows, by Redis’s clock', async () => {
    const rate = { intervalMs: 5, burst: 3 };
    const key = 'shared';
    const instances = [1, 2, 3].map(() => store({ client: client(), keyPrefix: prefix }));

    // MONITOR shows every command the script runs, stamped by Redis's clock: the TIME of a take
    // that is followed by a SET of this key is the time of a grant.
    const monitor = await admin.monitor();
    const grantTimes: number[] = [];
    let lastTime = NaN;
    monitor.on('monitor', (time: string, args: string[], source: string) => {
      if (!source.includes('lua')) return;
      const [seconds, micros] = time.split('.');
      if (args[0].toUpperCase() === 'TIME') lastTime = Number(seconds) * 1e6 + Number(micros);
      else if (args[0].toUpperCase() === 'SET' && args[1] === `${prefix}gcra:${key}`) {
        grantTimes.push(lastTime);
      }
    });

    let granted = 0;
    const until = Date.now() + 600;
    try {
      await Promise.all(
        instances.flatMap((s) =>
          // Four concurrent callers per client, each retrying as soon as it is told to.
          [1, 2, 3, 4].map(async () => {
            while (Date.now() < until) {
              const result = await s.tryTake(key, rate);
              if (result.granted) granted++;
              else await sleep(result.retryAfterMs);
            }
          }),
        ),
      );
      await eventually(() => grantTimes.length >= granted);
    } finally {
      monitor.disconnect();
    }

    expect(grantTimes.length).toBe(granted);
    const times = grantTimes.sort((a, b) => a - b);
    // In any span of W ms at most floor(W / T) + burst + 1 grants, whoever took them. (Spans that
    // are not whole intervals, so the µs between TIME and its stamp cannot matter.)
    for (const spanMs of [2.5, 12.5, 102.5, 502.5]) {
      expect(densest(times, spanMs * 1_000)).toBeLessThanOrEqual(
        Math.floor(spanMs / rate.intervalMs) + rate.burst + 1,
      );
    }
    // The pace went on after the first burst.
    expect(granted).toBeGreaterThan(2 * (rate.burst + 1));
  });

  it('closes the client it opened from a URL, and leaves a shared one open', async () => {
    const owned = new RedisRateLimitStore({
      url: TEST_REDIS_URL,
      keyPrefix: prefix,
    });
    expect(await owned.tryTake('url', { intervalMs: 1_000, burst: 0 })).toEqual({ granted: true });
    await owned.close();
    await expect(owned.tryTake('url', { intervalMs: 1_000, burst: 0 })).rejects.toThrow();

    const shared = client();
    await store({ client: shared, keyPrefix: prefix }).close();
    expect(await shared.ping()).toBe('PONG');
  });

  describe('with Redis down (nothing listens on its port)', () => {
    let deadRedisPort: number;
    let deadUrl: string;

    beforeAll(async () => {
      deadRedisPort = await deadPort();
      deadUrl = `redis://rtc:s3cret-pass@${LOOPBACK}:${deadRedisPort}`;
    });

    const rate = { intervalMs: 200, burst: 4 };

    it('rejects takes instead of hanging', async () => {
      const s = store({ url: deadUrl, keyPrefix: prefix });
      for (let i = 0; i < 3; i++) await expect(s.tryTake('down', rate)).rejects.toThrow();
    }, 3_000);

    it('rejects takes on a shared client left with ioredis defaults, within the timeout', async () => {
      const c = new Redis({ host: LOOPBACK, port: deadRedisPort, disconnectTimeout: 50 });
      c.on('error', () => undefined);
      clients.push(c);
      const s = store({ client: c, keyPrefix: prefix, timeoutMs: 100 });
      await expect(s.tryTake('down', rate)).rejects.toThrow();
    }, 3_000);

    it('fails closed with RtcBudgetUnavailableError and no password in sight', async () => {
      const states: BudgetStoreState[] = [];
      const b = new CallBudget(store({ url: deadUrl, keyPrefix: prefix }), {
        onStoreStateChange: (state) => states.push(state),
      });
      budgets.push(b);
      for (let i = 0; i < 3; i++) {
        const error = (await b.acquire('down').catch((e: unknown) => e)) as Error;
        expect(error).toBeInstanceOf(RtcBudgetUnavailableError);
        expect(`${error.message} ${String(error.cause)}`).not.toContain('s3cret');
      }
      expect(states).toEqual(['unavailable']);
    }, 3_000);

    it('falls back to the local share and keeps granting', async () => {
      const states: BudgetStoreState[] = [];
      const b = new CallBudget(store({ url: deadUrl, keyPrefix: prefix }), {
        perSecond: 10,
        maxWaitMs: 700,
        onStoreError: 'local',
        instances: 2,
        onStoreStateChange: (state) => states.push(state),
      });
      budgets.push(b);
      // floor(10 / 2) = 5 per window: two at once, then one per ~258 ms. Due at 0, 0, 258, 515,
      // 773 and 1030 ms: the last two would wait longer than maxWaitMs, and are told at once.
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => b.acquire('down')));
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
      ]);
      expect(String((outcomes[4] as PromiseRejectedResult).reason)).toContain('budget exhausted');
      expect(states).toEqual(['local']);
    }, 3_000);
  });

  it('returns from the local fallback to Redis once Redis is reachable again', async () => {
    // A TCP relay to the real Redis that can be cut and restored, like a network outage.
    const sockets = new Set<Socket>();
    const relay = (): Server =>
      createServer((inbound) => {
        const outbound = new Socket().connect(REDIS.port, REDIS.host);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => sockets.delete(socket));
        }
        inbound.pipe(outbound).pipe(inbound);
      });
    let server = relay();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const port = (server.address() as AddressInfo).port;
    const cut = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    };

    try {
      const states: BudgetStoreState[] = [];
      const b = new CallBudget(
        store({ client: client(testRedisUrlAt(port, LOOPBACK)), keyPrefix: prefix }),
        {
          perSecond: 100,
          onStoreError: 'local',
          instances: 2,
          probeIntervalMs: 100,
          onStoreStateChange: (state) => states.push(state),
        },
      );
      budgets.push(b);
      await b.acquire('outage');
      expect(b.storeState).toBe('shared');

      await cut();
      await b.acquire('outage');
      expect(b.storeState).toBe('local');

      server = relay();
      await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
      await eventually(() => {
        void b.acquire('outage').catch(() => undefined);
        return b.storeState === 'shared';
      });
      expect(states).toEqual(['local', 'shared']);
    } finally {
      await cut();
    }
  }, 10_000);
});
