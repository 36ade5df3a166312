import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { CallBudget } from './call-budget';
import { BudgetStoreState } from './store-health';
import { RedisRateLimitStore, sameSlotKey } from './redis-rate-limit.store';
import { answeredBy } from './release-dating';
import { seededRandom } from '../../test/time-windows';
import { SlidingWindowCounter } from '../testing/emulator/sliding-window-counter';

/** A place's hold if never released. */
const HOLD_MS = 12_000;

/**
 * Runs against the real Redis the project's tests require (never a mock): a script in Lua is only
 * proven by Redis running it. If Redis is not there, these tests fail; they do not skip.
 */
const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
/** Nothing listens here: a Redis that is down. */
const DEAD_PORT = 6390;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails after `timeoutMs` (generous: only a bound on hanging). */
async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const start = Date.now(); !condition(); await sleep(10)) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
  }
}

describe('RedisRateLimitStore (real Redis at 127.0.0.1:6379)', () => {
  const prefix = `rtc-messaging:test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const stores: RedisRateLimitStore[] = [];
  const budgets: CallBudget[] = [];
  let admin: Redis;

  function client(port = REDIS_PORT): Redis {
    // A short disconnectTimeout: ioredis leaves that timer running when the socket is already gone.
    const created = new Redis({
      host: REDIS_HOST,
      port,
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
    admin = new Redis({
      host: REDIS_HOST,
      port: REDIS_PORT,
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
        `These tests need a real Redis at ${REDIS_HOST}:${REDIS_PORT} (start one with ` +
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

  it('grants the limit at once, refuses with when a place may free, grants again a window after a release', async () => {
    const s = store({ client: client(), keyPrefix: prefix, windowMs: 200 });
    for (let i = 0; i < 3; i++) {
      expect(await s.tryTake('basic', `p${i}`, 3, HOLD_MS)).toEqual({
        granted: true,
        takenAt: expect.any(Number),
      });
    }
    // All three in flight: a place frees no sooner than a window after a release to come.
    expect(await s.tryTake('basic', 'x', 3, HOLD_MS)).toEqual({
      granted: false,
      retryAfterMs: 200,
    });
    await s.release('basic', 'p0');
    const refused = await s.tryTake('basic', 'x', 3, HOLD_MS);
    expect(refused).toMatchObject({ granted: false });
    const { retryAfterMs } = refused as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThan(150);
    expect(retryAfterMs).toBeLessThanOrEqual(200);
    await sleep(retryAfterMs);
    expect(await s.tryTake('basic', 'x', 3, HOLD_MS)).toMatchObject({ granted: true });
  });

  it('keeps the places in a sorted set, scored in µs by Redis’s clock, gone with their holds', async () => {
    const s = store({ client: client(), keyPrefix: prefix, windowMs: 100 });
    const key = `${prefix}places:scores`;
    const [before] = await admin.time();
    await s.tryTake('scores', 'a', 5, 300);
    await s.tryTake('scores', 'b', 5, 300);
    await s.release('scores', 'b');
    const [after] = await admin.time();
    const scores = await admin.zrange(key, 0, -1, 'WITHSCORES');
    // 'a' in flight: held 300 ms from its take; 'b' released: held 100 ms from its release.
    expect(scores[0]).toBe('b');
    expect(scores[2]).toBe('a');
    const b = Number(scores[1]);
    const a = Number(scores[3]);
    expect(a).toBeGreaterThanOrEqual(Number(before) * 1e6 + 300_000);
    expect(a).toBeLessThanOrEqual((Number(after) + 1) * 1e6 + 300_000);
    expect(a - b).toBeGreaterThan(100_000);
    // The key expires with its latest hold.
    expect(await admin.pttl(key)).toBeGreaterThan(200);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(300);
    await sleep(310);
    expect(await admin.exists(key)).toBe(0);
  });

  describe('a release dated from its take (the take’s Redis time plus the local span)', () => {
    it('returns the take’s Redis time, in ms', async () => {
      const s = store({ client: client(), keyPrefix: prefix });
      const [beforeS, beforeUs] = await admin.time();
      const taken = await s.tryTake('dated-time', 'a', 1, HOLD_MS);
      const [afterS, afterUs] = await admin.time();
      const ms = (seconds: string | number, us: string | number) =>
        Number(seconds) * 1_000 + Number(us) / 1_000;
      expect(taken).toEqual({ granted: true, takenAt: expect.any(Number) });
      const { takenAt } = taken as { takenAt: number };
      expect(takenAt).toBeGreaterThanOrEqual(ms(beforeS, beforeUs));
      expect(takenAt).toBeLessThanOrEqual(ms(afterS, afterUs));
    });

    it('frees a place whose release reaches Redis late at its dated answer plus the window, not its arrival plus the window', async () => {
      const windowMs = 200;
      const s = store({ client: client(), keyPrefix: prefix, windowMs });
      const key = `${prefix}places:late`;
      const sentAt = performance.now();
      const taken = await s.tryTake('late', 'a', 1, HOLD_MS);
      const { takenAt } = taken as { takenAt: number };
      const dated = answeredBy(takenAt, sentAt, performance.now());
      // The release reaches Redis 150 ms after the answer was seen (event-loop lag, a queue).
      await sleep(150);
      await s.release('late', 'a', { answeredBy: dated });
      const heldUntil = Number(await admin.zscore(key, 'a'));
      expect(heldUntil).toBe(Math.ceil(dated * 1_000) + windowMs * 1_000);
      // Dated by its arrival it would be held until at least 150 ms + the window after the take.
      expect(heldUntil / 1_000 - takenAt).toBeLessThan(windowMs + 150);
      // And the place does free then: the next take is told to wait no longer than that.
      const refused = await s.tryTake('late', 'b', 1, HOLD_MS);
      expect(refused).toMatchObject({ granted: false });
      await sleep((refused as { retryAfterMs: number }).retryAfterMs);
      expect(await s.tryTake('late', 'b', 1, HOLD_MS)).toMatchObject({ granted: true });
    });

    it('uses its own arrival when that comes before the dated answer', async () => {
      const s = store({ client: client(), keyPrefix: prefix, windowMs: 200 });
      const taken = await s.tryTake('early', 'a', 1, HOLD_MS);
      const { takenAt } = taken as { takenAt: number };
      await s.release('early', 'a', { answeredBy: takenAt + 60_000 });
      const [afterS, afterUs] = await admin.time();
      const heldUntil = Number(await admin.zscore(`${prefix}places:early`, 'a'));
      expect(heldUntil).toBeLessThanOrEqual(Number(afterS) * 1e6 + Number(afterUs) + 200_000);
    });

    it('lets a retry only bring a hold earlier, never lengthen a place already released', async () => {
      const s = store({ client: client(), keyPrefix: prefix, windowMs: 200 });
      const key = `${prefix}places:retry`;
      await s.tryTake('retry', 'a', 1, HOLD_MS);
      await s.release('retry', 'a');
      const first = await admin.zscore(key, 'a');
      await sleep(20);
      // The first try landed after all: its retry, dated by a later arrival, changes nothing.
      await s.release('retry', 'a', { onlyEarlier: true });
      expect(await admin.zscore(key, 'a')).toBe(first);
      // A first release does move it (here later: that is what the retry must not do).
      await s.release('retry', 'a');
      expect(Number(await admin.zscore(key, 'a'))).toBeGreaterThan(Number(first));
    });

    it('lengthens, on a first release, the hold of a call that outran it', async () => {
      const s = store({ client: client(), keyPrefix: prefix, windowMs: 200 });
      const key = `${prefix}places:outran`;
      // Held 250 ms if never released; the call ends 100 ms in: held until then plus 200 ms.
      await s.tryTake('outran', 'a', 1, 250);
      const provisional = Number(await admin.zscore(key, 'a'));
      await sleep(100);
      await s.release('outran', 'a');
      expect(Number(await admin.zscore(key, 'a'))).toBeGreaterThan(provisional);
    });
  });

  it('ignores a release of a place it no longer holds', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    await s.release('gone', 'never-taken');
    expect(await admin.exists(`${prefix}places:gone`)).toBe(0);
  });

  it('leaves room to interactive takes: bulk fills one fewer, less the interactive places held', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    const take = (key: string, id: string, bulk: boolean) => s.tryTake(key, id, 6, HOLD_MS, bulk);
    const granted = async (key: string, n: number, bulk: boolean) => {
      let count = 0;
      for (let i = 0; i < n; i++)
        if ((await take(key, `${key}-${bulk}-${i}`, bulk)).granted) count++;
      return count;
    };
    expect(await granted('bulk-a', 6, true)).toBe(5);
    expect(await granted('bulk-b', 2, false)).toBe(2);
    expect(await granted('bulk-b', 3, true)).toBe(1);
    expect(await granted('bulk-b', 1, false)).toBe(1);
  });

  it('keeps both of a key’s Redis keys in one cluster slot', () => {
    expect(sameSlotKey('rtc:places:app', ':interactive')).toBe('{rtc:places:app}:interactive');
    expect(sameSlotKey('{tenant-1}:places:app', ':interactive')).toBe(
      '{tenant-1}:places:app:interactive',
    );
    expect(() => store({ client: client(), keyPrefix: 'odd}prefix:' })).toThrow('hash tag');
  });

  it('sends the scripts by EVALSHA, not their text with every call', async () => {
    const c = client();
    const s = store({ client: c, keyPrefix: prefix });
    // The first take and release connect and, if Redis lacks the scripts, load them with EVAL.
    await s.tryTake('sha', 'first', 100, HOLD_MS);
    await s.release('sha', 'first');
    const sent: string[] = [];
    const original = c.sendCommand.bind(c);
    jest.spyOn(c, 'sendCommand').mockImplementation((command, stream) => {
      sent.push(command.name);
      return original(command, stream);
    });
    for (let i = 0; i < 5; i++) {
      await s.tryTake('sha', `p${i}`, 100, HOLD_MS);
      await s.release('sha', `p${i}`);
    }
    expect(sent).toEqual(Array(10).fill('evalsha'));
  });

  it('three instances with different round trips sharing a key: no window at the gateway over the limit', async () => {
    const limit = 20;
    const windowMs = 200;
    const key = `bound-${randomUUID()}`;
    const random = seededRandom(7);
    // Fast and steady; slow and spread; and one whose answers stall now and then.
    const roundTrips = [
      () => 1 + random() * 2,
      () => 20 + random() * 60,
      () => (random() < 0.1 ? 100 : 3),
    ];
    const calls: Array<{ granted: number; answered: number }> = [];
    const until = performance.now() + 1_500;
    await Promise.all(
      roundTrips.flatMap((roundTrip) => {
        const s = store({ client: client(), keyPrefix: prefix, windowMs });
        // Eight callers per instance, each sending again as soon as it may.
        return Array.from({ length: 8 }, async (_, caller) => {
          for (let i = 0; performance.now() < until; i++) {
            const id = `${caller}-${i}-${random()}`;
            const sentAt = performance.now();
            const result = await s.tryTake(key, id, limit, 10_000);
            if (!result.granted) {
              await sleep(result.retryAfterMs);
              continue;
            }
            // After the grant came back (the take was earlier, by Redis's clock), until the
            // release goes (it is dated later, by Redis's clock): the counting instant lies here.
            const granted = performance.now();
            await sleep(roundTrip());
            const answered = performance.now();
            calls.push({ granted, answered });
            // Dated from the take, as the budget dates it (see `release-dating.ts`).
            await s.release(key, id, { answeredBy: answeredBy(result.takenAt!, sentAt, answered) });
          }
        });
      }),
    );
    expect(calls.length).toBeGreaterThan(3 * limit);
    for (const countAt of [
      (c: { granted: number; answered: number }) => c.granted,
      (c: { granted: number; answered: number }) => c.answered,
      (c: { granted: number; answered: number }) => c.granted + random() * (c.answered - c.granted),
    ]) {
      const gateway = new SlidingWindowCounter(limit, windowMs);
      const counted = calls.map(countAt).sort((x, y) => x - y);
      expect(counted.filter((at) => !gateway.tryAcquire(key, at))).toEqual([]);
    }
  }, 10_000);

  it('closes the client it opened from a URL, and leaves a shared one open', async () => {
    const owned = new RedisRateLimitStore({
      url: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      keyPrefix: prefix,
    });
    expect(await owned.tryTake('url', 'a', 1, HOLD_MS)).toMatchObject({ granted: true });
    await owned.close();
    await expect(owned.tryTake('url', 'b', 1, HOLD_MS)).rejects.toThrow();

    const shared = client();
    await store({ client: shared, keyPrefix: prefix }).close();
    expect(await shared.ping()).toBe('PONG');
  });

  describe('with Redis down (nothing listens on 127.0.0.1:6390)', () => {
    const deadUrl = `redis://rtc:s3cret-pass@${REDIS_HOST}:${DEAD_PORT}`;

    it('rejects takes and releases instead of hanging', async () => {
      const s = store({ url: deadUrl, keyPrefix: prefix });
      for (let i = 0; i < 3; i++) {
        await expect(s.tryTake('down', `p${i}`, 5, HOLD_MS)).rejects.toThrow();
        await expect(s.release('down', `p${i}`)).rejects.toThrow();
      }
    }, 3_000);

    it('rejects takes on a shared client left with ioredis defaults, within the timeout', async () => {
      const c = new Redis({ host: REDIS_HOST, port: DEAD_PORT, disconnectTimeout: 50 });
      c.on('error', () => undefined);
      clients.push(c);
      const s = store({ client: c, keyPrefix: prefix, timeoutMs: 100 });
      await expect(s.tryTake('down', 'p', 5, HOLD_MS)).rejects.toThrow();
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
      // floor(10 / 2) = 5 places: five at once; the sixth would wait a window for one, longer
      // than maxWaitMs, and is told at once.
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => b.acquire('down')));
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      expect(String((outcomes[5] as PromiseRejectedResult).reason)).toContain('budget exhausted');
      expect(states).toEqual(['local']);
    }, 3_000);
  });

  it('returns from the local fallback to Redis once Redis is reachable again', async () => {
    // A TCP relay to the real Redis that can be cut and restored, like a network outage.
    const sockets = new Set<Socket>();
    const relay = (): Server =>
      createServer((inbound) => {
        const outbound = new Socket().connect(REDIS_PORT, REDIS_HOST);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => sockets.delete(socket));
        }
        inbound.pipe(outbound).pipe(inbound);
      });
    let server = relay();
    await new Promise<void>((resolve) => server.listen(0, REDIS_HOST, resolve));
    const port = (server.address() as AddressInfo).port;
    const cut = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    };

    try {
      const states: BudgetStoreState[] = [];
      const b = new CallBudget(store({ client: client(port), keyPrefix: prefix }), {
        perSecond: 100,
        onStoreError: 'local',
        instances: 2,
        probeIntervalMs: 100,
        onStoreStateChange: (state) => states.push(state),
      });
      budgets.push(b);
      const send = () =>
        b.acquire('outage').then(
          (place) => b.release(place),
          () => undefined,
        );
      await send();
      expect(b.storeState).toBe('shared');

      await cut();
      await send();
      expect(b.storeState).toBe('local');

      server = relay();
      await new Promise<void>((resolve) => server.listen(port, REDIS_HOST, resolve));
      await eventually(() => {
        void send();
        return b.storeState === 'shared';
      });
      expect(states).toEqual(['local', 'shared']);
    } finally {
      await cut();
    }
  }, 10_000);
});
