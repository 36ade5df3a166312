import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { BudgetStoreState, CallBudget, CallBudgetOptions } from './call-budget';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** A store in front of another that fails on demand, like Redis going away and coming back. */
class FlakyStore implements RateLimitStore {
  failing = false;
  calls: Array<{ key: string; limit: number; windowMs: number }> = [];
  constructor(readonly inner: RateLimitStore) {}

  async tryTake(key: string, limit: number, windowMs: number): Promise<TakeResult> {
    this.calls.push({ key, limit, windowMs });
    if (this.failing) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
    return this.inner.tryTake(key, limit, windowMs);
  }
}

/** A store that never answers, like a Redis that accepted the connection and hung. */
class HangingStore implements RateLimitStore {
  tryTake(): Promise<TakeResult> {
    return new Promise(() => undefined);
  }
}

/** Settles a promise into a record the test can inspect without awaiting it. */
function track(promise: Promise<void>) {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const now = () => Date.now();

describe('CallBudget', () => {
  const budgets: CallBudget[] = [];
  function budget(store: RateLimitStore, options: CallBudgetOptions = {}): CallBudget {
    const created = new CallBudget(store, { now, ...options });
    budgets.push(created);
    return created;
  }
  let memory: MemoryRateLimitStore;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    memory = new MemoryRateLimitStore({ now });
  });

  afterEach(async () => {
    await Promise.all(budgets.splice(0).map((b) => b.close()));
    jest.useRealTimers();
  });

  it('asks the store for `perSecond` units per 1 s window plus the safety margin', async () => {
    const store = new FlakyStore(memory);
    await budget(store).acquire('app');
    await budget(store, { perSecond: 7, safetyMarginMs: 0 }).acquire('app2');
    expect(store.calls).toEqual([
      { key: 'app', limit: 500, windowMs: 1040 },
      { key: 'app2', limit: 7, windowMs: 1000 },
    ]);
  });

  it('grants at once while the budget lasts', async () => {
    const b = budget(memory, { perSecond: 3 });
    await expect(Promise.all([b.acquire('a'), b.acquire('a'), b.acquire('a')])).resolves.toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(b.queued('a')).toBe(0);
  });

  it('serves waiters in arrival order, each when a unit leaves the window', async () => {
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 5_000 });
    const order: number[] = [];
    const all = Array.from({ length: 6 }, (_, i) => b.acquire('app').then(() => order.push(i)));

    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(999);
    expect(order).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0, 1, 2, 3]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    await Promise.all(all);
  });

  it('waits on one timer per key, set when the store says a unit frees: no polling', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 5_000 });
    const waiting = Array.from({ length: 5 }, () => b.acquire('app'));
    const other = Array.from({ length: 4 }, () => b.acquire('other'));

    await jest.advanceTimersByTimeAsync(0);
    expect(jest.getTimerCount()).toBe(2);
    const callsWhileBlocked = store.calls.length;
    await jest.advanceTimersByTimeAsync(999);
    expect(store.calls.length).toBe(callsWhileBlocked);

    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all([...waiting, ...other]);
    // Nine grants and a refusal or so per window per key, not one call per millisecond.
    expect(store.calls.length).toBeLessThan(20);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails at once, with the store’s time to retry, when no unit frees within maxWaitMs', async () => {
    const b = budget(memory, { perSecond: 1, safetyMarginMs: 0, maxWaitMs: 300 });
    await b.acquire('app');
    await jest.advanceTimersByTimeAsync(100);

    const error = await b.acquire('app').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    expect(error).toMatchObject({ retryAfterMs: 900, outcome: 'not_delivered' });
    expect((error as RtcRateLimitedError).upstream).toBeUndefined();
    expect(b.queued('app')).toBe(0);
  });

  it('fails waiters as soon as it is known they cannot be served before maxWaitMs', async () => {
    const b = budget(memory, { perSecond: 1, safetyMarginMs: 0, maxWaitMs: 1_500 });
    await b.acquire('app');
    const second = track(b.acquire('app'));
    const third = track(b.acquire('app'));
    const fourth = track(b.acquire('app'));

    await jest.advanceTimersByTimeAsync(1_000);
    // The second got the unit freed at t=1000; the next frees at t=2000, after the others' deadline.
    expect(second).toEqual({ settled: true });
    expect(third.error).toBeInstanceOf(RtcRateLimitedError);
    expect(third.error).toMatchObject({ retryAfterMs: 1_000 });
    expect(fourth.error).toBeInstanceOf(RtcRateLimitedError);
    expect(b.queued('app')).toBe(0);
  });

  it('waits out a slow store answer, but fails callers of a store that never answers', async () => {
    const b = budget(new HangingStore(), { maxWaitMs: 1_000 });
    const pending = track(b.acquire('app'));
    await jest.advanceTimersByTimeAsync(2_000);
    expect(pending.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(pending.error).toBeInstanceOf(RtcBudgetUnavailableError);
    expect(b.queued('app')).toBe(0);
  });

  it('rejects at once, with a time to retry, when maxQueued callers already wait', async () => {
    const b = budget(memory, { perSecond: 1, safetyMarginMs: 0, maxQueued: 3, maxWaitMs: 10_000 });
    const admitted = Array.from({ length: 3 }, () => track(b.acquire('app')));
    const refused = b.acquire('app').catch((e: unknown) => e);
    expect(b.queued('app')).toBe(3);

    const error = await refused;
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    // Three callers ahead at one call per second: about three seconds before there is room.
    expect((error as RtcRateLimitedError).retryAfterMs).toBe(3_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(admitted.map((a) => a.settled)).toEqual([true, true, true]);
  });

  it('rejects a burst larger than the queue without holding more than maxQueued callers', async () => {
    const b = budget(memory, { perSecond: 10, maxQueued: 100, maxWaitMs: 60_000 });
    let rejected = 0;
    let maxSeen = 0;
    const all = Array.from({ length: 10_000 }, () => {
      const p = b.acquire('app').catch((e: unknown) => {
        expect(e).toBeInstanceOf(RtcRateLimitedError);
        rejected++;
      });
      maxSeen = Math.max(maxSeen, b.queued('app'));
      return p;
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(maxSeen).toBe(100);
    expect(rejected).toBe(9_900);

    // The admitted hundred are served at ten per window.
    await jest.advanceTimersByTimeAsync(10_500);
    await Promise.all(all);
    expect(b.queued('app')).toBe(0);
  });

  it('rejects with the signal’s reason, drops the waiter and keeps the order of the rest', async () => {
    const b = budget(memory, { perSecond: 1, safetyMarginMs: 0, maxWaitMs: 5_000 });
    await b.acquire('app');
    const controller = new AbortController();
    const order: string[] = [];
    const aborted = b.acquire('app', controller.signal).catch((e: unknown) => e);
    const next = b.acquire('app').then(() => order.push('next'));
    const last = b.acquire('app').then(() => order.push('last'));

    await jest.advanceTimersByTimeAsync(500);
    controller.abort(new Error('client went away'));
    await expect(aborted).resolves.toEqual(new Error('client went away'));
    expect(b.queued('app')).toBe(2);

    await jest.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['next']);
    await jest.advanceTimersByTimeAsync(1_000);
    await Promise.all([next, last]);
    expect(order).toEqual(['next', 'last']);
  });

  it('rejects at once for a signal already aborted, and takes no unit for it', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store);
    const controller = new AbortController();
    controller.abort('gone');
    await expect(b.acquire('app', controller.signal)).rejects.toBe('gone');
    expect(store.calls).toHaveLength(0);
  });

  describe("when the store fails, with onStoreError 'fail-closed' (the default)", () => {
    it('rejects with RtcBudgetUnavailableError carrying the cause, and recovers', async () => {
      const store = new FlakyStore(memory);
      const states: Array<[BudgetStoreState, unknown]> = [];
      const b = budget(store, { onStoreStateChange: (s, e) => states.push([s, e]) });

      store.failing = true;
      const error = await b.acquire('app').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcBudgetUnavailableError);
      expect(error).toMatchObject({ outcome: 'not_delivered' });
      expect((error as Error).message).toContain('ECONNREFUSED');
      expect((error as Error).cause).toEqual(new Error('connect ECONNREFUSED 10.0.0.7:6379'));
      expect(b.storeState).toBe('unavailable');

      store.failing = false;
      await expect(b.acquire('app')).resolves.toBeUndefined();
      expect(b.storeState).toBe('shared');
      expect(states.map(([s]) => s)).toEqual(['unavailable', 'shared']);
      expect(states[0][1]).toBeInstanceOf(Error);
    });

    it('rejects every waiter of the key at once rather than one by one', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, { perSecond: 1, safetyMarginMs: 0, maxWaitMs: 5_000 });
      await b.acquire('app');
      const waiters = Array.from({ length: 3 }, () => b.acquire('app').catch((e: unknown) => e));
      store.failing = true;
      await jest.advanceTimersByTimeAsync(1_000);
      for (const error of await Promise.all(waiters)) {
        expect(error).toBeInstanceOf(RtcBudgetUnavailableError);
      }
      expect(b.queued('app')).toBe(0);
    });

    it('never puts a password from a connection URL into the error', async () => {
      const leaky: RateLimitStore = {
        tryTake: () =>
          Promise.reject(new Error('cannot reach redis://app:hunter2@redis.internal:6379')),
      };
      const told: unknown[] = [];
      const error = (await budget(leaky, { onStoreStateChange: (_, e) => told.push(e) })
        .acquire('app')
        .catch((e: unknown) => e)) as RtcBudgetUnavailableError;
      expect(error).toBeInstanceOf(RtcBudgetUnavailableError);
      expect(error.message).not.toContain('hunter2');
      expect(String((error.cause as Error).message)).not.toContain('hunter2');
      expect(String((error.cause as Error).stack)).not.toContain('hunter2');
      expect(error.message).toContain('redis://***@redis.internal:6379');
      // The state callback (a logger) gets the store's error redacted the same way.
      expect(String((told[0] as Error).message)).not.toContain('hunter2');
    });

    it('drops an AUTH command (and its password) that an ioredis error carries', async () => {
      const authError = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
        command: { name: 'auth', args: ['app', 'hunter2'] },
      });
      const error = (await budget({ tryTake: () => Promise.reject(authError) })
        .acquire('app')
        .catch((e: unknown) => e)) as RtcBudgetUnavailableError;
      expect(error.message).toContain('WRONGPASS');
      expect(error.cause).toBeInstanceOf(Error);
      expect(JSON.stringify(error.cause)).not.toContain('hunter2');
      expect(error.cause).not.toHaveProperty('command');
    });
  });

  describe("when the store fails, with onStoreError 'local'", () => {
    it('paces at floor(perSecond / instances) in memory, then returns to the shared store', async () => {
      const shared = new MemoryRateLimitStore({ now });
      const store = new FlakyStore(shared);
      const states: BudgetStoreState[] = [];
      const b = budget(store, {
        perSecond: 10,
        safetyMarginMs: 0,
        maxWaitMs: 10_000,
        onStoreError: 'local',
        instances: 3,
        onStoreStateChange: (s) => states.push(s),
      });

      store.failing = true;
      const grantedAt: number[] = [];
      const all = Array.from({ length: 9 }, () =>
        b.acquire('app').then(() => grantedAt.push(Date.now())),
      );
      await jest.advanceTimersByTimeAsync(0);
      expect(b.storeState).toBe('local');
      expect(states).toEqual(['local']);
      // floor(10 / 3) = 3 per window while local.
      expect(grantedAt).toEqual([0, 0, 0]);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(grantedAt).toEqual([0, 0, 0, 1_000, 1_000, 1_000]);

      // The store is back: the next grant (a probe, at most one per second) switches back.
      store.failing = false;
      await jest.advanceTimersByTimeAsync(1_000);
      await Promise.all(all);
      expect(b.storeState).toBe('shared');
      expect(states).toEqual(['local', 'shared']);
      expect(grantedAt).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000]);
      await jest.advanceTimersByTimeAsync(1_000);
      const sharedCalls = store.calls.length;
      await b.acquire('app');
      expect(store.calls.length).toBe(sharedCalls + 1);
    });

    it('probes the failed store at most once per probe interval', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, {
        perSecond: 100,
        onStoreError: 'local',
        instances: 2,
        probeIntervalMs: 1_000,
      });
      store.failing = true;
      await b.acquire('app');
      const afterFailure = store.calls.length;
      for (let i = 0; i < 20; i++) await b.acquire('app');
      expect(store.calls.length).toBe(afterFailure);
      await jest.advanceTimersByTimeAsync(1_000);
      for (let i = 0; i < 20; i++) await b.acquire('app');
      expect(store.calls.length).toBe(afterFailure + 1);
      expect(b.storeState).toBe('local');
    });

    it('counts grants made through the shared store when it switches to local', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, {
        perSecond: 10,
        safetyMarginMs: 0,
        maxWaitMs: 0,
        onStoreError: 'local',
        instances: 2,
      });
      for (let i = 0; i < 4; i++) await b.acquire('app');
      store.failing = true;
      // Four of this instance's five were spent through the shared store in this window.
      await expect(b.acquire('app')).resolves.toBeUndefined();
      await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
    });

    it('after returning, also holds to the local share for one window', async () => {
      const shared = new MemoryRateLimitStore({ now });
      const store = new FlakyStore(shared);
      const b = budget(store, {
        perSecond: 10,
        safetyMarginMs: 0,
        maxWaitMs: 0,
        onStoreError: 'local',
        instances: 2,
      });
      store.failing = true;
      await b.acquire('app');
      await jest.advanceTimersByTimeAsync(1_000);
      store.failing = false;
      // Local grants are unknown to the shared store; the share keeps the switch from doubling.
      for (let i = 0; i < 5; i++) await b.acquire('app');
      expect(b.storeState).toBe('shared');
      await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
      await jest.advanceTimersByTimeAsync(1_000);
      for (let i = 0; i < 10; i++) await b.acquire('app');
      await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
    });
  });

  it('holds the upstream limit in every sliding second despite jitter up to the margin, at ≥ 95% of it', async () => {
    const perSecond = 50;
    const b = budget(memory, { perSecond, maxWaitMs: 2_000, maxQueued: 10_000 });
    // A deterministic pseudo-random delay between grant and arrival upstream, 0..40 ms.
    let seed = 42;
    const jitter = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 41) | 0;
    const arrivals: number[] = [];
    const durationMs = 20_000;
    // Demand well above the limit: 100 callers every 100 ms.
    for (let t = 0; t < durationMs; t += 100) {
      for (let i = 0; i < 100; i++) {
        b.acquire('app').then(
          () => arrivals.push(Date.now() + jitter()),
          () => undefined,
        );
      }
      await jest.advanceTimersByTimeAsync(100);
    }
    arrivals.sort((x, y) => x - y);
    let start = 0;
    for (let end = 0; end < arrivals.length; end++) {
      while (arrivals[end] - arrivals[start] >= 1_000) start++;
      expect(end - start + 1).toBeLessThanOrEqual(perSecond);
    }
    expect(arrivals.length).toBeGreaterThanOrEqual(0.95 * perSecond * (durationMs / 1_000));
  });

  it('rejects waiters and new callers once closed, and leaves no timer behind', async () => {
    const b = budget(memory, { perSecond: 1 });
    await b.acquire('app');
    const waiting = b.acquire('app').catch((e: unknown) => e);
    await b.close();
    expect(await waiting).toBeInstanceOf(RtcBudgetUnavailableError);
    await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcBudgetUnavailableError);
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each<[string, CallBudgetOptions]>([
    ['perSecond', { perSecond: 0 }],
    ['maxWaitMs', { maxWaitMs: -1 }],
    ['maxQueued', { maxQueued: 0 }],
    ['safetyMarginMs', { safetyMarginMs: 2.5 }],
    ['instances', { onStoreError: 'local', instances: 0 }],
    ['instances', { onStoreError: 'local', instances: 600 }],
    ['onStoreError', { onStoreError: 'ignore' } as unknown as CallBudgetOptions],
  ])('refuses a bad %s at construction', (name, options) => {
    expect(() => new CallBudget(memory, options)).toThrow(RtcConfigurationError);
    expect(() => new CallBudget(memory, options)).toThrow(name);
  });
});
