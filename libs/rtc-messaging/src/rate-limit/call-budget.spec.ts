import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { BudgetStoreState, CallBudget, CallBudgetOptions } from './call-budget';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { paceFor } from './gcra';
import { ArrivalHint, GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';
import { densest, seededRandom } from '../../test/time-windows';

/** A store in front of another that fails on demand, like Redis going away and coming back. */
class FlakyStore implements RateLimitStore {
  failing = false;
  calls: Array<{ key: string; rate: GcraRate; arrival?: ArrivalHint }> = [];
  constructor(readonly inner: RateLimitStore) {}

  async tryTake(key: string, rate: GcraRate, arrival?: ArrivalHint): Promise<TakeResult> {
    this.calls.push({ key, rate, arrival });
    if (this.failing) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
    return this.inner.tryTake(key, rate);
  }
}

/** A store that never answers, like a Redis that accepted the connection and hung. */
class HangingStore implements RateLimitStore {
  tryTake(): Promise<TakeResult> {
    return new Promise(() => undefined);
  }
}

/** Settles a promise into a record the test can inspect without awaiting it. */
function track(promise: Promise<unknown>) {
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
  /** A budget on the fake clock; without the cold-start allowance (tested on its own) unless told. */
  function budget(store: RateLimitStore, options: CallBudgetOptions = {}): CallBudget {
    const created = new CallBudget(store, { now, coldStartMs: 0, ...options });
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

  it('paces the first window after a quiet spell as if the margin were coldStartMs larger', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { coldStartMs: 100, maxWaitMs: 5_000, maxQueued: 10_000 });
    const cold = paceFor(500, 1_130);
    const warm = paceFor(500, 1_030);
    const ratesAt = async (ms: number) => {
      store.calls.length = 0;
      const all = Array.from({ length: Math.ceil(ms / 2) }, () => b.acquire('app'));
      await jest.advanceTimersByTimeAsync(ms);
      return { rates: new Set(store.calls.map((c) => c.rate)), all };
    };
    // From the first take: one window plus twice the allowance, 1230 ms, at the cold pace.
    const first = await ratesAt(1_200);
    expect(first.rates).toEqual(new Set([cold]));
    await jest.advanceTimersByTimeAsync(30);
    const busy = await ratesAt(500);
    expect(busy.rates).toEqual(new Set([warm]));
    await jest.advanceTimersByTimeAsync(6_000);
    await Promise.all([...first.all, ...busy.all]);
    // A window without a grant: cold again.
    await jest.advanceTimersByTimeAsync(1_030);
    const again = await ratesAt(100);
    expect(again.rates).toEqual(new Set([cold]));
    await jest.advanceTimersByTimeAsync(1_000);
    await Promise.all(again.all);
    // Cold: 1000 × 496 / 1130 ≈ 439 calls/s; warm ≈ 481.5.
    expect(1_000 / cold.intervalMs).toBeCloseTo(438.9, 1);
  });

  it('skips the cold-start allowance when the connections are warm, and warms them when not', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { coldStartMs: 100, safetyMarginMs: 30 });
    let warm = true;
    const warmth = { isWarm: () => warm, warm: jest.fn() };
    b.useConnectionWarmth(warmth);

    await b.acquire('app');
    expect(store.calls.at(-1)!.rate).toEqual(paceFor(500, 1_030));
    expect(warmth.warm).not.toHaveBeenCalled();

    // A quiet spell with the connections gone: the allowance, and a warm-up for what follows.
    await jest.advanceTimersByTimeAsync(5_000);
    warm = false;
    await b.acquire('app');
    expect(store.calls.at(-1)!.rate).toEqual(paceFor(500, 1_130));
    expect(warmth.warm).toHaveBeenCalledTimes(1);
  });

  it('asks the store for the GCRA pace of `perSecond` per 1 s plus the safety margin', async () => {
    const store = new FlakyStore(memory);
    await budget(store).acquire('app');
    await budget(store, { perSecond: 7, safetyMarginMs: 0 }).acquire('app2');
    expect(store.calls).toMatchObject([
      { key: 'app', rate: paceFor(500, 1_030) },
      { key: 'app2', rate: paceFor(7, 1_000) },
    ]);
    // 500/s over 1030 ms: one unit per ~2.077 ms, four ahead of that pace; ≥ 481 calls/s.
    expect(store.calls[0].rate.burst).toBe(4);
    expect(1_000 / store.calls[0].rate.intervalMs).toBeGreaterThan(481);
  });

  it("resolves with the grant's age: how long ago its take went to the store", async () => {
    // A shared store counts a unit somewhere between the take and its answer; the caller's round
    // trip has to start at the take, so that the answer's way back is part of the measured delay.
    class SlowStore implements RateLimitStore {
      constructor(private readonly ms: number) {}
      tryTake(key: string, rate: GcraRate): Promise<TakeResult> {
        return new Promise((resolve) =>
          setTimeout(() => resolve(memory.tryTake(key, rate)), this.ms),
        );
      }
    }
    const ages: number[] = [];
    const slow = budget(new SlowStore(7));
    const first = slow.acquire('app').then((age) => ages.push(age));
    await jest.advanceTimersByTimeAsync(7);
    await first;
    expect(ages).toEqual([7]);
    // A store that answers at once: the grant is as old as the call.
    expect(await budget(memory).acquire('other')).toBe(0);
  });

  it('tells the store how soon its calls arrive: the earliest round trip, 0 before it knows', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store);
    await b.acquire('app');
    expect(store.calls.at(-1)!.arrival).toEqual({ earliestMs: 0 });
    for (let i = 0; i < 100; i++) b.observeRoundTrip(12 + (i % 10));
    await jest.advanceTimersByTimeAsync(100);
    await b.acquire('app');
    expect(store.calls.at(-1)!.arrival).toEqual({ earliestMs: 12 });
    // A fixed margin was chosen to cover every instance: no hint.
    await budget(store, { safetyMarginMs: 30 }).acquire('other');
    expect(store.calls.at(-1)!.arrival).toBeUndefined();
  });

  it('grants burst + 1 at once, then one per interval, in arrival order and without drift', async () => {
    // 5/s over 1000 ms: one per 250 ms (a hair more, so whole ms round up to 251), burst 1.
    const b = budget(memory, { perSecond: 5, safetyMarginMs: 0, maxWaitMs: 5_000 });
    const granted: Array<[number, number]> = [];
    const all = Array.from({ length: 8 }, (_, i) =>
      b.acquire('app').then(() => granted.push([i, Date.now()])),
    );
    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all(all);
    expect(granted).toEqual([
      [0, 0],
      [1, 0],
      // Each wait ends at the next whole ms; the burst absorbs that, so nothing accumulates.
      [2, 251],
      [3, 501],
      [4, 751],
      [5, 1_001],
      [6, 1_251],
      [7, 1_501],
    ]);
  });

  it('waits on one timer per key, set when the store says a unit frees: no polling', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 5, safetyMarginMs: 0, maxWaitMs: 5_000 });
    const waiting = Array.from({ length: 5 }, () => b.acquire('app'));
    const other = Array.from({ length: 4 }, () => b.acquire('other'));

    await jest.advanceTimersByTimeAsync(0);
    expect(jest.getTimerCount()).toBe(2);
    const callsWhileBlocked = store.calls.length;
    await jest.advanceTimersByTimeAsync(250);
    expect(store.calls.length).toBe(callsWhileBlocked);

    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all([...waiting, ...other]);
    // Nine grants and about a refusal per grant, not one take per millisecond.
    expect(store.calls.length).toBeLessThanOrEqual(2 * 9 + 2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails at once, with the store’s time to retry, when no unit frees within maxWaitMs', async () => {
    // 2/s over 1000 ms: two at once, then one per ~1000 ms.
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 300 });
    await Promise.all([b.acquire('app'), b.acquire('app')]);
    await jest.advanceTimersByTimeAsync(100);

    const error = await b.acquire('app').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    // The next unit is due at t=1000 (a hair after): 900 ms from now, rounded up.
    expect(error).toMatchObject({ retryAfterMs: 901, outcome: 'not_delivered' });
    expect((error as RtcRateLimitedError).upstream).toBeUndefined();
    expect(b.queued('app')).toBe(0);
  });

  it('lets one call wait longer than maxWaitMs when it says so (bulk sends wait their turn)', async () => {
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 300 });
    await Promise.all([b.acquire('app'), b.acquire('app')]);

    // The budget's own 300 ms cannot reach the next unit at t≈1000; a call's 5 s can.
    await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
    let granted = false;
    const patient = b.acquire('app', { maxWaitMs: 5_000 }).then(() => (granted = true));
    await jest.advanceTimersByTimeAsync(900);
    expect(granted).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    await patient;
    expect(granted).toBe(true);
  });

  it('refuses at once a call whose own wait is too short for the next unit', async () => {
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 5_000 });
    await Promise.all([b.acquire('app'), b.acquire('app')]);
    const error = await b.acquire('app', { maxWaitMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    expect((error as RtcRateLimitedError).upstream).toBeUndefined();
    expect(b.queued('app')).toBe(0);
  });

  it('fails, at once, the callers whose turn comes after their deadline at the store’s pace', async () => {
    // One per ~250 ms after a burst of two: the callers are due at 0, 0, 251, 501, 751, 1001.
    const b = budget(memory, { perSecond: 5, safetyMarginMs: 0, maxWaitMs: 600 });
    const callers = Array.from({ length: 6 }, () => track(b.acquire('app')));
    // The last is refused as it asks: five ahead of it cannot all go within 600 ms.
    expect(b.queued('app')).toBe(5);

    await jest.advanceTimersByTimeAsync(0);
    expect(callers.map((c) => c.settled)).toEqual([true, true, false, false, true, true]);
    expect(callers[4].error).toBeInstanceOf(RtcRateLimitedError);
    // Its turn: the store's time to retry (251) plus two intervals (a hair over 500), rounded up.
    expect(callers[4].error).toMatchObject({ retryAfterMs: 752 });
    // The last one was told when it asked, from the queue ahead of it.
    expect(callers[5].error).toBeInstanceOf(RtcRateLimitedError);
    expect(b.queued('app')).toBe(2);

    await jest.advanceTimersByTimeAsync(501);
    expect(callers.slice(2, 4)).toEqual([{ settled: true }, { settled: true }]);
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
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxQueued: 3, maxWaitMs: 10_000 });
    const admitted = Array.from({ length: 3 }, () => track(b.acquire('app')));
    const refused = b.acquire('app').catch((e: unknown) => e);
    expect(b.queued('app')).toBe(3);

    const error = await refused;
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    // Two of the three go at once, the third a unit later: about a second before there is room.
    expect((error as RtcRateLimitedError).retryAfterMs).toBe(1_001);
    await jest.advanceTimersByTimeAsync(1_001);
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

    // The admitted hundred are served at one per 1030 / 9 ≈ 114 ms.
    await jest.advanceTimersByTimeAsync(12_000);
    await Promise.all(all);
    expect(b.queued('app')).toBe(0);
  });

  it('rejects with the signal’s reason, drops the waiter and keeps the order of the rest', async () => {
    const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 5_000 });
    await Promise.all([b.acquire('app'), b.acquire('app')]);
    const controller = new AbortController();
    const order: string[] = [];
    const aborted = b.acquire('app', { signal: controller.signal }).catch((e: unknown) => e);
    const next = b.acquire('app').then(() => order.push('next'));
    const last = b.acquire('app').then(() => order.push('last'));

    await jest.advanceTimersByTimeAsync(500);
    controller.abort(new Error('client went away'));
    await expect(aborted).resolves.toEqual(new Error('client went away'));
    expect(b.queued('app')).toBe(2);

    await jest.advanceTimersByTimeAsync(501);
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
    await expect(b.acquire('app', { signal: controller.signal })).rejects.toBe('gone');
    expect(store.calls).toHaveLength(0);
  });

  describe('interactive and bulk callers', () => {
    it('answers every interactive caller by its own deadline, wherever it stands', async () => {
      // 2/s: two at once, then one per ~1000 ms. Two patient callers, then one that waits 300 ms.
      const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 60_000 });
      await Promise.all([b.acquire('app'), b.acquire('app')]);
      const patient = [track(b.acquire('app')), track(b.acquire('app'))];
      const hasty = track(b.acquire('app', { maxWaitMs: 300 }));

      await jest.advanceTimersByTimeAsync(301);
      expect(hasty.error).toBeInstanceOf(RtcRateLimitedError);
      expect(patient.map((p) => p.settled)).toEqual([false, false]);
      await jest.advanceTimersByTimeAsync(2_000);
      expect(patient).toEqual([{ settled: true }, { settled: true }]);
    });

    it('serves an interactive caller before the bulk callers that came first', async () => {
      const b = budget(memory, { perSecond: 2, safetyMarginMs: 0, maxWaitMs: 5_000 });
      await Promise.all([b.acquire('app'), b.acquire('app')]);
      const order: string[] = [];
      const bulk = [1, 2].map((i) =>
        b.acquire('app', { priority: 'bulk' }).then(() => order.push(`bulk ${i}`)),
      );
      await jest.advanceTimersByTimeAsync(100);
      const single = b.acquire('app').then(() => order.push('single'));

      await jest.advanceTimersByTimeAsync(5_000);
      await Promise.all([...bulk, single]);
      expect(order).toEqual(['single', 'bulk 1', 'bulk 2']);
    });

    it('never refuses a bulk caller for time or a full queue; it waits its turn', async () => {
      // maxQueued 2 and maxWaitMs 100 would refuse most of these callers were they interactive.
      const b = budget(memory, { perSecond: 5, safetyMarginMs: 0, maxQueued: 2, maxWaitMs: 100 });
      const bulk = Array.from({ length: 12 }, () => track(b.acquire('app', { priority: 'bulk' })));
      expect(b.queued('app')).toBe(12);

      await jest.advanceTimersByTimeAsync(3_000);
      expect(bulk.every((c) => c.settled && c.error === undefined)).toBe(true);
      expect(b.queued('app')).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('lets a bulk caller give up on its signal only', async () => {
      const b = budget(memory, { perSecond: 1, safetyMarginMs: 0 });
      await b.acquire('app');
      const controller = new AbortController();
      const waiting = track(b.acquire('app', { priority: 'bulk', signal: controller.signal }));
      await jest.advanceTimersByTimeAsync(500);
      expect(waiting.settled).toBe(false);
      controller.abort(new Error('run cancelled'));
      await jest.advanceTimersByTimeAsync(0);
      expect(waiting.error).toEqual(new Error('run cancelled'));
      expect(b.queued('app')).toBe(0);
    });

    it('keeps bulk callers through a store failure and serves them once it answers again', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, { perSecond: 5, safetyMarginMs: 0 });
      store.failing = true;
      const single = b.acquire('app').catch((e: unknown) => e);
      const bulk = Array.from({ length: 3 }, () => track(b.acquire('app', { priority: 'bulk' })));
      expect(await single).toBeInstanceOf(RtcBudgetUnavailableError);
      await jest.advanceTimersByTimeAsync(5_000);
      expect(bulk.map((c) => c.settled)).toEqual([false, false, false]);
      // Asked again about once a second, not in a loop.
      expect(store.calls.length).toBeLessThanOrEqual(8);

      store.failing = false;
      await jest.advanceTimersByTimeAsync(2_000);
      expect(bulk).toEqual([{ settled: true }, { settled: true }, { settled: true }]);
      expect(b.storeState).toBe('shared');
    });

    it('asks a store that hung again for its bulk callers, ignoring the takes it never answered', async () => {
      let hang = true;
      const store: RateLimitStore = {
        tryTake: (key, rate) => (hang ? new Promise(() => undefined) : memory.tryTake(key, rate)),
      };
      const b = budget(store, { maxWaitMs: 1_000 });
      const bulk = track(b.acquire('app', { priority: 'bulk' }));
      await jest.advanceTimersByTimeAsync(10_000);
      expect(bulk.settled).toBe(false);
      hang = false;
      await jest.advanceTimersByTimeAsync(3_000);
      expect(bulk).toEqual({ settled: true });
    });

    it('gives interactive callers precedence across instances sharing a store', async () => {
      // Instance A keeps the shared budget saturated with bulk work; instance B sends one message.
      const a = budget(memory, { perSecond: 500 });
      const b = budget(memory, { perSecond: 500 });
      let bulkGranted = 0;
      const keepBusy = async () => {
        for (;;) {
          await a.acquire('app', { priority: 'bulk' }).catch(() => undefined);
          if (++bulkGranted >= 2_000) return;
        }
      };
      const runs = Array.from({ length: 64 }, keepBusy);
      await jest.advanceTimersByTimeAsync(1_000);

      const waits: number[] = [];
      for (let i = 0; i < 20; i++) {
        const asked = Date.now();
        const single = b.acquire('app').then(() => waits.push(Date.now() - asked));
        await jest.advanceTimersByTimeAsync(50);
        await single;
      }
      // Granted in the same millisecond: bulk takes always leave the unit interactive ones ask for.
      expect(waits).toEqual(Array.from({ length: 20 }, () => 0));
      await a.close();
      await Promise.all(runs);
    });
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
      await expect(b.acquire('app')).resolves.toBe(0);
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
      // One per (a hair over) 1000 ms: the head's take is due at t=1001.
      await jest.advanceTimersByTimeAsync(1_001);
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
    it('paces as a budget of floor(perSecond / instances) in memory, then returns to the shared store', async () => {
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
      const all = Array.from({ length: 7 }, () =>
        b.acquire('app').then(() => grantedAt.push(Date.now())),
      );
      await jest.advanceTimersByTimeAsync(0);
      expect(b.storeState).toBe('local');
      expect(states).toEqual(['local']);
      // floor(10 / 3) = 3 per window while local: two at once, then one per (a hair over) 500 ms.
      expect(grantedAt).toEqual([0, 0]);
      await jest.advanceTimersByTimeAsync(1_002);
      expect(grantedAt).toEqual([0, 0, 501, 1_001]);

      // The store is back: the next local grant is also a probe (at most one per second), which
      // switches back; for one window, takes then need the local pace as well.
      store.failing = false;
      await jest.advanceTimersByTimeAsync(1_500);
      await Promise.all(all);
      expect(b.storeState).toBe('shared');
      expect(states).toEqual(['local', 'shared']);
      expect(grantedAt).toEqual([0, 0, 501, 1_001, 1_501, 2_001, 2_501]);
      // After that window, the shared store alone decides.
      await jest.advanceTimersByTimeAsync(1_000);
      const sharedCalls = store.calls.length;
      const three = Array.from({ length: 3 }, () => b.acquire('app'));
      await jest.advanceTimersByTimeAsync(0);
      await Promise.all(three.slice(0, 2));
      expect(store.calls.length).toBe(sharedCalls + 3);
      await jest.advanceTimersByTimeAsync(120);
      await three[2];
    });

    it('probes the failed store at most once per probe interval', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, {
        perSecond: 100,
        maxWaitMs: 5_000,
        onStoreError: 'local',
        instances: 2,
        probeIntervalMs: 1_000,
      });
      const burst = async (n: number) => {
        const all = Array.from({ length: n }, () => b.acquire('app'));
        // 50 per window while local: one per ~21 ms.
        await jest.advanceTimersByTimeAsync(n * 22);
        await Promise.all(all);
      };
      store.failing = true;
      await b.acquire('app');
      const afterFailure = store.calls.length;
      await burst(20);
      expect(store.calls.length).toBe(afterFailure);
      await jest.advanceTimersByTimeAsync(1_000);
      await burst(20);
      expect(store.calls.length).toBe(afterFailure + 1);
      expect(b.storeState).toBe('local');
    });

    it('goes on from the pace spent through the shared store when it switches to local', async () => {
      const options: CallBudgetOptions = {
        perSecond: 10,
        safetyMarginMs: 0,
        maxWaitMs: 0,
        onStoreError: 'local',
        instances: 2,
      };
      // The local share is 5 per window: two at once, then one per 250 ms.
      const fresh = budget(new FlakyStore(memory), options);
      (fresh as unknown as { store: { shared: FlakyStore } }).store.shared.failing = true;
      await expect(Promise.all([fresh.acquire('a'), fresh.acquire('a')])).resolves.toBeDefined();

      const store = new FlakyStore(memory);
      const b = budget(store, options);
      await Promise.all([b.acquire('b'), b.acquire('b')]);
      store.failing = true;
      // Both units of the local burst were spent through the shared store just now.
      await expect(b.acquire('b')).rejects.toBeInstanceOf(RtcRateLimitedError);
      expect(b.storeState).toBe('local');
      await jest.advanceTimersByTimeAsync(251);
      await expect(b.acquire('b')).resolves.toBe(0);
    });

    it('after returning, also holds to the local pace for one window', async () => {
      const shared = new MemoryRateLimitStore({ now });
      const store = new FlakyStore(shared);
      // Shared: one per ~10 ms; local share (25 per window): one per ~42 ms.
      const b = budget(store, {
        perSecond: 100,
        safetyMarginMs: 0,
        maxWaitMs: 10_000,
        maxQueued: 10_000,
        onStoreError: 'local',
        instances: 4,
      });
      const grantsIn = async (ms: number) => {
        let granted = 0;
        const all = Array.from({ length: 200 }, () =>
          b.acquire('app').then(
            () => granted++,
            () => undefined,
          ),
        );
        await jest.advanceTimersByTimeAsync(ms);
        const result = granted;
        // Let the rest through before the next phase, so phases do not overlap.
        await jest.advanceTimersByTimeAsync(10_000);
        await Promise.all(all);
        return result;
      };

      store.failing = true;
      await b.acquire('app');
      await jest.advanceTimersByTimeAsync(1_000);
      store.failing = false;
      // The first take is a probe: back to shared, guarded for one window from now.
      await b.acquire('app');
      expect(b.storeState).toBe('shared');
      // Local grants are unknown to the shared store; the local pace keeps the switch from doubling.
      expect(await grantsIn(420)).toBeLessThanOrEqual(2 + 10);
    });

    it('after that window, the shared store alone paces', async () => {
      const shared = new MemoryRateLimitStore({ now });
      const store = new FlakyStore(shared);
      const b = budget(store, {
        perSecond: 100,
        safetyMarginMs: 0,
        maxWaitMs: 10_000,
        onStoreError: 'local',
        instances: 4,
      });
      store.failing = true;
      await b.acquire('app');
      await jest.advanceTimersByTimeAsync(1_000);
      store.failing = false;
      await b.acquire('app');
      await jest.advanceTimersByTimeAsync(1_001);
      let granted = 0;
      const all = Array.from({ length: 60 }, () => b.acquire('app').then(() => granted++));
      await jest.advanceTimersByTimeAsync(420);
      // About one per 10 ms, not one per 42.
      expect(granted).toBeGreaterThanOrEqual(40);
      await jest.advanceTimersByTimeAsync(1_000);
      await Promise.all(all);
    });
  });

  describe('against an upstream counting arrivals in any sliding second', () => {
    /**
     * Demand at 120% of `perSecond` for `durationMs`; each grant reaches the upstream `delay()` ms
     * later. Returns the arrival times, sorted, and the pace the budget asked of the store.
     */
    async function arrivalsUpstream(
      options: { perSecond: number; safetyMarginMs?: number },
      delay: () => number,
      durationMs: number,
    ) {
      const store = new FlakyStore(memory);
      const b = budget(store, { maxWaitMs: 2_000, maxQueued: 100_000, ...options });
      const arrivals: number[] = [];
      for (let t = 0; t < durationMs; t += 100) {
        for (let i = 0; i < options.perSecond * 0.12; i++) {
          b.acquire('app').then(
            () => arrivals.push(Date.now() + delay()),
            () => undefined,
          );
        }
        await jest.advanceTimersByTimeAsync(100);
      }
      await b.close();
      return { arrivals: arrivals.sort((x, y) => x - y), rate: store.calls[0].rate };
    }

    it('holds every second, ends included, to the limit with delays varying up to the margin, at ≥ 95% of it', async () => {
      const next = seededRandom(42);
      const durationMs = 10_000;
      const { arrivals, rate } = await arrivalsUpstream(
        { perSecond: 500 },
        () => next() * 30,
        durationMs,
      );
      expect(densest(arrivals, 1_000)).toBeLessThanOrEqual(500);
      expect(arrivals.length).toBeGreaterThanOrEqual(0.95 * 500 * (durationMs / 1_000));
      // Waiting exactly as long as the store says loses (next to) nothing of the pace.
      expect(arrivals.length).toBeGreaterThanOrEqual(0.995 * (durationMs / rate.intervalMs));
    }, 30_000);

    it('holds a small limit too (burst 1, one per ~114 ms)', async () => {
      const next = seededRandom(7);
      const { arrivals } = await arrivalsUpstream({ perSecond: 10 }, () => next() * 30, 20_000);
      expect(densest(arrivals, 1_000)).toBeLessThanOrEqual(10);
      expect(arrivals.length).toBeGreaterThanOrEqual(0.95 * (20_000 / (1_030 / 9)));
    });

    it('holds the limit when the first calls after a quiet spell arrive up to coldStartMs later still', async () => {
      const next = seededRandom(11);
      /** The world's delays: calls of a burst's first 100 ms take 100 ms longer (new connections). */
      const delays = () => {
        let coldSince = -Infinity;
        let lastGrant = -Infinity;
        return () => {
          const t = Date.now();
          if (t - lastGrant >= 1_000) coldSince = t;
          lastGrant = t;
          // Delays still vary by up to the margin on top.
          return (t - coldSince < 100 ? 100 : 0) + next() * 30;
        };
      };
      const bursts = async (options: CallBudgetOptions) => {
        const b = budget(memory, { perSecond: 500, maxWaitMs: 5_000, ...options });
        const delay = delays();
        const arrivals: number[] = [];
        // Three bursts of 3 s at 120% of the limit, 2 s of quiet before each.
        for (let burst = 0; burst < 3; burst++) {
          await jest.advanceTimersByTimeAsync(2_000);
          for (let t = 0; t < 3_000; t += 100) {
            for (let i = 0; i < 60; i++) {
              b.acquire('app').then(
                () => arrivals.push(Date.now() + delay()),
                () => undefined,
              );
            }
            await jest.advanceTimersByTimeAsync(100);
          }
          await jest.advanceTimersByTimeAsync(5_000);
        }
        await b.close();
        return arrivals.sort((x, y) => x - y);
      };

      const allowed = await bursts({ coldStartMs: 100 });
      expect(densest(allowed, 1_000)).toBeLessThanOrEqual(500);
      // The allowance costs about 50 calls per cold start, not more.
      expect(allowed.length).toBeGreaterThanOrEqual(3 * (0.95 * 500 * 3 - 60));
      // Without it, the late first calls land among those granted a margin later: too many.
      expect(densest(await bursts({ coldStartMs: 0 }), 1_000)).toBeGreaterThan(500);
    }, 60_000);

    it('is overrun when the delays vary by more than the margin', async () => {
      const next = seededRandom(42);
      // Half the calls take 200 ms longer to arrive, at random; there is no margin for that.
      const { arrivals } = await arrivalsUpstream(
        { perSecond: 500, safetyMarginMs: 0 },
        () => (next() < 0.5 ? 0 : 200),
        10_000,
      );
      expect(densest(arrivals, 1_000)).toBeGreaterThan(500);
    }, 30_000);
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
    ['coldStartMs', { coldStartMs: -1 }],
    ['instances', { onStoreError: 'local', instances: 0 }],
    ['instances', { onStoreError: 'local', instances: 600 }],
    ['onStoreError', { onStoreError: 'ignore' } as unknown as CallBudgetOptions],
  ])('refuses a bad %s at construction', (name, options) => {
    expect(() => new CallBudget(memory, options)).toThrow(RtcConfigurationError);
    expect(() => new CallBudget(memory, options)).toThrow(name);
  });
});
