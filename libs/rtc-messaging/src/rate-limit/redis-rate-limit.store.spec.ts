import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { BudgetStoreState, CallBudget } from './call-budget';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * Runs against the real Redis the project's tests require (never a mock): a sliding log in Lua is
 * only proven by Redis running it. If Redis is not there, these tests fail; they do not skip.
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

  it('grants `limit` units, refuses the next with the time until the oldest leaves, then grants', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    for (let i = 0; i < 3; i++) expect(await s.tryTake('basic', 3, 300)).toEqual({ granted: true });
    const refused = await s.tryTake('basic', 3, 300);
    expect(refused).toMatchObject({ granted: false });
    const { retryAfterMs } = refused as { retryAfterMs: number };
    expect(retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(retryAfterMs).toBeLessThanOrEqual(300);

    // Only the refusal's wait (plus a little for the timer) is needed, not a new fixed window.
    await sleep(retryAfterMs + 5);
    expect(await s.tryTake('basic', 3, 300)).toEqual({ granted: true });
  });

  it('keeps at most `limit` members under the prefixed key, expiring with the window', async () => {
    const s = store({ client: client(), keyPrefix: prefix });
    for (let i = 0; i < 5; i++) await s.tryTake('bounded', 2, 10_000);
    expect(await admin.zcard(`${prefix}bounded`)).toBe(2);
    const ttl = await admin.pttl(`${prefix}bounded`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it('sends the script by EVALSHA, not its text with every call', async () => {
    const c = client();
    const s = store({ client: c, keyPrefix: prefix });
    // The first take connects and, if Redis lacks the script, loads it with one EVAL.
    await s.tryTake('sha', 100, 1_000);
    const sent: string[] = [];
    const original = c.sendCommand.bind(c);
    jest.spyOn(c, 'sendCommand').mockImplementation((command, stream) => {
      sent.push(command.name);
      return original(command, stream);
    });
    for (let i = 0; i < 10; i++) await s.tryTake('sha', 100, 1_000);
    expect(sent).toEqual(Array(10).fill('evalsha'));
  });

  it('three instances sharing a key never grant more than the limit in any window', async () => {
    const limit = 20;
    const windowMs = 500;
    const key = 'shared';
    const instances = [1, 2, 3].map(() => store({ client: client(), keyPrefix: prefix }));

    // Every grant is a member scored by Redis's clock; watching the set records each one, since a
    // member stays at least one window and the set is read far more often than that.
    const seen = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const flat = await admin.zrange(`${prefix}${key}`, 0, -1, 'WITHSCORES');
        for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], Number(flat[i + 1]));
        await sleep(20);
      }
    })();

    let granted = 0;
    const until = Date.now() + 1_600;
    await Promise.all(
      instances.flatMap((s) =>
        // Four concurrent callers per instance, each retrying as soon as it is told to.
        [1, 2, 3, 4].map(async () => {
          while (Date.now() < until) {
            const result = await s.tryTake(key, limit, windowMs);
            if (result.granted) granted++;
            else await sleep(Math.min(result.retryAfterMs, Math.max(0, until - Date.now())));
          }
        }),
      ),
    );
    await sleep(40);
    watching = false;
    await watcher;

    expect(seen.size).toBe(granted);
    const times = [...seen.values()].sort((a, b) => a - b);
    const windowUs = windowMs * 1_000;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end] - times[start] >= windowUs) start++;
      expect(end - start + 1).toBeLessThanOrEqual(limit);
    }
    // More than one window's worth: the log slid, it did not just fill once.
    expect(granted).toBeGreaterThan(2 * limit);
  });

  it('closes the client it opened from a URL, and leaves a shared one open', async () => {
    const owned = new RedisRateLimitStore({
      url: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      keyPrefix: prefix,
    });
    expect(await owned.tryTake('url', 1, 1_000)).toEqual({ granted: true });
    await owned.close();
    await expect(owned.tryTake('url', 1, 1_000)).rejects.toThrow();

    const shared = client();
    await store({ client: shared, keyPrefix: prefix }).close();
    expect(await shared.ping()).toBe('PONG');
  });

  describe('with Redis down (nothing listens on 127.0.0.1:6390)', () => {
    const deadUrl = `redis://rtc:s3cret-pass@${REDIS_HOST}:${DEAD_PORT}`;

    it('rejects takes instead of hanging', async () => {
      const s = store({ url: deadUrl, keyPrefix: prefix });
      for (let i = 0; i < 3; i++) await expect(s.tryTake('down', 5, 1_000)).rejects.toThrow();
    }, 3_000);

    it('rejects takes on a shared client left with ioredis defaults, within the timeout', async () => {
      const c = new Redis({ host: REDIS_HOST, port: DEAD_PORT, disconnectTimeout: 50 });
      c.on('error', () => undefined);
      clients.push(c);
      const s = store({ client: c, keyPrefix: prefix, timeoutMs: 100 });
      await expect(s.tryTake('down', 5, 1_000)).rejects.toThrow();
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
        onStoreError: 'local',
        instances: 2,
        onStoreStateChange: (state) => states.push(state),
      });
      budgets.push(b);
      for (let i = 0; i < 5; i++) await expect(b.acquire('down')).resolves.toBeUndefined();
      // floor(10 / 2) = 5 per window: the sixth would wait longer than maxWaitMs.
      await expect(b.acquire('down')).rejects.toThrow('budget exhausted');
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
      await b.acquire('outage');
      expect(b.storeState).toBe('shared');

      await cut();
      await b.acquire('outage');
      expect(b.storeState).toBe('local');

      server = relay();
      await new Promise<void>((resolve) => server.listen(port, REDIS_HOST, resolve));
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
