import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { CallBudget, CallBudgetOptions } from './call-budget';
import { BudgetStoreState } from './store-health';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore, ReleaseOptions, TakeResult } from './rate-limit-store.interface';
import { DATING_SLACK_MS, DRIFT_ALLOWANCE } from './release-dating';
import { seededRandom } from '../../test/time-windows';
import { SlidingWindowCounter } from '../testing/emulator/sliding-window-counter';

/** A store in front of another that fails on demand, like Redis going away and coming back. */
class FlakyStore implements RateLimitStore {
  failing = false;
  calls: Array<{ key: string; limit: number; holdMs: number; bulk?: boolean }> = [];
  releases: string[] = [];
  constructor(readonly inner: RateLimitStore) {}

  async tryTake(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk?: boolean,
  ): Promise<TakeResult> {
    this.calls.push({ key, limit, holdMs, ...(bulk ? { bulk } : {}) });
    if (this.failing) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
    return this.inner.tryTake(key, id, limit, holdMs, bulk);
  }

  async release(key: string, id: string): Promise<void> {
    this.releases.push(id);
    if (this.failing) throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
    return this.inner.release(key, id);
  }
}

/** A store that never answers, like a Redis that accepted the connection and hung. */
class HangingStore implements RateLimitStore {
  tryTake(): Promise<TakeResult> {
    return new Promise(() => undefined);
  }
  async release(): Promise<void> {}
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
  /** A budget on the fake clock. */
  function budget(store: RateLimitStore, options: CallBudgetOptions = {}): CallBudget {
    const created = new CallBudget(store, { now, ...options });
    budgets.push(created);
    return created;
  }
  /** Takes a place and releases it at once, as a call answered in no time: resolves with when. */
  async function call(b: CallBudget, options?: Parameters<CallBudget['acquire']>[1]) {
    const place = await b.acquire('app', options);
    b.release(place);
    return Date.now();
  }
  let memory: MemoryRateLimitStore;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    memory = new MemoryRateLimitStore({ now });
  });

  afterEach(async () => {
    // Closing waits (a second at most) for releases still being tried again.
    const closing = Promise.all(budgets.splice(0).map((b) => b.close()));
    await jest.advanceTimersByTimeAsync(1_000);
    await closing;
    jest.useRealTimers();
  });

  it('grants a whole window at once from rest, then a place per release plus the window', async () => {
    const b = budget(memory, { perSecond: 5, maxWaitMs: 5_000 });
    const granted = await Promise.all([
      ...Array.from({ length: 8 }, () => call(b)),
      jest.advanceTimersByTimeAsync(2_000).then(() => -1),
    ]);
    // A burst starts at once; the next three go when the first places free: answer + 1 s.
    expect(granted.slice(0, 8)).toEqual([0, 0, 0, 0, 0, 1_000, 1_000, 1_000]);
  });

  it('holds a place in flight until its call is released, then one window more', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 10_000 });
    const held = [await b.acquire('app'), await b.acquire('app')];
    const next = track(b.acquire('app'));
    await jest.advanceTimersByTimeAsync(3_000);
    expect(next.settled).toBe(false);
    b.release(held[0]);
    await jest.advanceTimersByTimeAsync(999);
    expect(next.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(next).toEqual({ settled: true });
  });

  it('holds a place never released (its process died) for the call timeout, a window and a second', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 1, maxWaitMs: 10_000, callTimeoutMs: 2_000 });
    await b.acquire('app');
    expect(store.calls[0]).toEqual({ key: 'app', limit: 1, holdMs: 4_000 });
    const next = track(b.acquire('app'));
    await jest.advanceTimersByTimeAsync(3_999);
    expect(next.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(next).toEqual({ settled: true });
  });

  it('tries a release the store failed again, so the place frees a window after it gets through', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 1, maxWaitMs: 10_000 });
    const place = await b.acquire('app');
    store.failing = true;
    b.release(place);
    await jest.advanceTimersByTimeAsync(50);
    store.failing = false;
    // The retry, 100 ms after the failure, gets through: the place frees at t=1,100.
    const next = track(b.acquire('app'));
    await jest.advanceTimersByTimeAsync(1_049);
    expect(next.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(next).toEqual({ settled: true });
    expect(store.releases).toEqual([place.id, place.id]);
  });

  it('dates a release from its take: the store’s time of it plus the span until the answer was seen', async () => {
    // A store that dates releases from its takes, as Redis does: its clock is far from ours.
    const releases: Array<{ id: string; options?: ReleaseOptions }> = [];
    let fail = false;
    const store: RateLimitStore = {
      tryTake: async (key, id, limit, holdMs) => {
        const result = await memory.tryTake(key, id, limit, holdMs);
        return result.granted ? { granted: true, takenAt: 7e12 + Date.now() } : result;
      },
      release: async (key, id, options) => {
        releases.push({ id, options });
        if (fail) throw new Error('Redis did not answer within 250 ms');
        return memory.release(key, id);
      },
    };
    const b = budget(store, { perSecond: 2 });
    await jest.advanceTimersByTimeAsync(100);
    const place = await b.acquire('app');
    await jest.advanceTimersByTimeAsync(400); // the call's round trip
    fail = true;
    b.release(place);
    await jest.advanceTimersByTimeAsync(600);
    const dated = 7e12 + 100 + 400 + DATING_SLACK_MS + 400 * DRIFT_ALLOWANCE;
    // Every try carries the dating of the moment the answer was seen; the retries may only bring
    // the hold earlier (the first try may have landed).
    expect(releases).toEqual([
      { id: place.id, options: { answeredBy: dated, onlyEarlier: false } },
      { id: place.id, options: { answeredBy: dated, onlyEarlier: true } },
      { id: place.id, options: { answeredBy: dated, onlyEarlier: true } },
    ]);
  });

  it('releases the place of a take that failed, in case it landed (a Redis timeout)', async () => {
    // The store takes the place, then reports a timeout, as Redis may when it answers late.
    const store: RateLimitStore = {
      tryTake: async (key, id, limit, holdMs) => {
        await memory.tryTake(key, id, limit, holdMs);
        throw new Error('Redis did not answer within 250 ms');
      },
      release: (key, id) => memory.release(key, id),
    };
    const b = budget(store, { perSecond: 1 });
    await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcBudgetUnavailableError);
    // Held a window from the failure, not for the whole hold (the call timeout and more).
    await jest.advanceTimersByTimeAsync(999);
    expect(memory.held('app')).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(memory.held('app')).toBe(0);
  });

  it('releases a place granted to nobody (its caller gave up meanwhile)', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 2 });
    const controller = new AbortController();
    const gone = b.acquire('app', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort('gone');
    await expect(gone).resolves.toBe('gone');
    await jest.advanceTimersByTimeAsync(0);
    expect(store.releases).toHaveLength(store.calls.length);
  });

  it('waits on one timer per key, set for when the store says a place may free: no polling', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store, { perSecond: 5, maxWaitMs: 5_000 });
    const all = [
      ...Array.from({ length: 10 }, () => call(b)),
      ...Array.from({ length: 9 }, async () => {
        const place = await b.acquire('other');
        b.release(place);
      }),
    ];
    await jest.advanceTimersByTimeAsync(0);
    expect(jest.getTimerCount()).toBe(2);
    const callsWhileBlocked = store.calls.length;
    await jest.advanceTimersByTimeAsync(500);
    expect(store.calls.length).toBe(callsWhileBlocked);

    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all(all);
    // Nineteen grants and at most a refusal per grant, not one take per millisecond.
    expect(store.calls.length).toBeLessThanOrEqual(2 * 19);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails at once, with the store’s time to retry, when no place frees within maxWaitMs', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 300 });
    await Promise.all([call(b), call(b)]);
    await jest.advanceTimersByTimeAsync(100);

    const error = await b.acquire('app').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    // The places free at t=1000: 900 ms from now.
    expect(error).toMatchObject({ retryAfterMs: 900, outcome: 'not_delivered' });
    expect((error as RtcRateLimitedError).upstream).toBeUndefined();
    expect(b.queued('app')).toBe(0);
  });

  it('lets one call wait longer than maxWaitMs when it says so', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 300 });
    await Promise.all([call(b), call(b)]);

    // The budget's own 300 ms cannot reach the next place at t=1000; a call's 5 s can.
    await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
    const patient = track(b.acquire('app', { maxWaitMs: 5_000 }));
    await jest.advanceTimersByTimeAsync(999);
    expect(patient.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(patient).toEqual({ settled: true });
  });

  it('refuses at once a call whose own wait is too short for the next place', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 5_000 });
    await Promise.all([b.acquire('app'), b.acquire('app')]);
    const error = await b.acquire('app', { maxWaitMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    expect(Date.now()).toBe(0);
    expect(b.queued('app')).toBe(0);
  });

  it('fails, at once, every caller whose deadline comes before a place may free', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 600 });
    await Promise.all([call(b), call(b)]);
    const callers = Array.from({ length: 3 }, () => track(b.acquire('app')));
    await jest.advanceTimersByTimeAsync(0);
    expect(callers.map((c) => c.settled)).toEqual([true, true, true]);
    for (const c of callers) expect(c.error).toMatchObject({ retryAfterMs: 1_000 });
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
    const b = budget(memory, { perSecond: 2, maxQueued: 3, maxWaitMs: 10_000 });
    const admitted = Array.from({ length: 3 }, () => track(call(b)));
    const refused = b.acquire('app').catch((e: unknown) => e);
    expect(b.queued('app')).toBe(3);

    const error = await refused;
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    // A window: by then the places held now have freed or are about to.
    expect((error as RtcRateLimitedError).retryAfterMs).toBe(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(admitted.map((a) => a.settled)).toEqual([true, true, true]);
  });

  it('rejects a burst larger than the queue without holding more than maxQueued callers', async () => {
    const b = budget(memory, { perSecond: 10, maxQueued: 100, maxWaitMs: 60_000 });
    let rejected = 0;
    let maxSeen = 0;
    const all = Array.from({ length: 10_000 }, () => {
      const p = call(b).catch((e: unknown) => {
        expect(e).toBeInstanceOf(RtcRateLimitedError);
        rejected++;
      });
      maxSeen = Math.max(maxSeen, b.queued('app'));
      return p;
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(maxSeen).toBe(100);
    expect(rejected).toBe(9_900);

    // The admitted hundred are served ten per window.
    await jest.advanceTimersByTimeAsync(10_000);
    await Promise.all(all);
    expect(b.queued('app')).toBe(0);
  });

  it('rejects with the signal’s reason, drops the waiter and keeps the order of the rest', async () => {
    const b = budget(memory, { perSecond: 2, maxWaitMs: 5_000 });
    await Promise.all([call(b), call(b)]);
    const controller = new AbortController();
    const order: string[] = [];
    const aborted = b.acquire('app', { signal: controller.signal }).catch((e: unknown) => e);
    const next = call(b).then(() => order.push('next'));
    const last = call(b).then(() => order.push('last'));

    await jest.advanceTimersByTimeAsync(500);
    controller.abort(new Error('client went away'));
    await expect(aborted).resolves.toEqual(new Error('client went away'));
    expect(b.queued('app')).toBe(2);

    await jest.advanceTimersByTimeAsync(500);
    await Promise.all([next, last]);
    expect(order).toEqual(['next', 'last']);
  });

  it('rejects at once for a signal already aborted, and takes no place for it', async () => {
    const store = new FlakyStore(memory);
    const b = budget(store);
    const controller = new AbortController();
    controller.abort('gone');
    await expect(b.acquire('app', { signal: controller.signal })).rejects.toBe('gone');
    expect(store.calls).toHaveLength(0);
  });

  describe('interactive and bulk callers', () => {
    it('answers every interactive caller by its own deadline, wherever it stands', async () => {
      const b = budget(memory, { perSecond: 2, maxWaitMs: 60_000 });
      await Promise.all([call(b), call(b)]);
      const patient = [track(call(b)), track(call(b))];
      const hasty = track(b.acquire('app', { maxWaitMs: 300 }));

      await jest.advanceTimersByTimeAsync(1);
      expect(hasty.error).toBeInstanceOf(RtcRateLimitedError);
      expect(patient.map((p) => p.settled)).toEqual([false, false]);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(patient).toEqual([{ settled: true }, { settled: true }]);
    });

    it('serves an interactive caller before the bulk callers that came first', async () => {
      const b = budget(memory, { perSecond: 2, maxWaitMs: 5_000 });
      await Promise.all([call(b), call(b)]);
      const order: string[] = [];
      const bulk = [1, 2].map((i) =>
        call(b, { priority: 'bulk' }).then(() => order.push(`bulk ${i}`)),
      );
      await jest.advanceTimersByTimeAsync(100);
      const single = call(b).then(() => order.push('single'));

      await jest.advanceTimersByTimeAsync(5_000);
      await Promise.all([...bulk, single]);
      expect(order).toEqual(['single', 'bulk 1', 'bulk 2']);
    });

    it('leaves room to interactive callers: one place, and one more per interactive place held', async () => {
      const b = budget(memory, { perSecond: 6 });
      // Bulk alone fills five of six places.
      const first = Array.from({ length: 6 }, () => track(b.acquire('app', { priority: 'bulk' })));
      await jest.advanceTimersByTimeAsync(0);
      expect(first.filter((c) => c.settled)).toHaveLength(5);
      await b.close();

      const c = budget(new MemoryRateLimitStore({ now }), { perSecond: 6 });
      await c.acquire('app');
      await c.acquire('app');
      // Two interactive places held: bulk fills 6 - 1 - 2 = 3 places in all, one more.
      const more = Array.from({ length: 3 }, () => track(c.acquire('app', { priority: 'bulk' })));
      await jest.advanceTimersByTimeAsync(0);
      expect(more.filter((m) => m.settled)).toHaveLength(1);
    });

    it('never refuses a bulk caller for time or a full queue; it waits its turn', async () => {
      // maxQueued 2 and maxWaitMs 100 would refuse most of these callers were they interactive.
      const b = budget(memory, { perSecond: 5, maxQueued: 2, maxWaitMs: 100 });
      const bulk = Array.from({ length: 12 }, () => track(call(b, { priority: 'bulk' })));
      expect(b.queued('app')).toBe(12);

      // Four places a window for bulk work.
      await jest.advanceTimersByTimeAsync(2_000);
      expect(bulk.every((c) => c.settled && c.error === undefined)).toBe(true);
      expect(b.queued('app')).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('lets a bulk caller give up on its signal only', async () => {
      const b = budget(memory, { perSecond: 1 });
      await call(b);
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
      const b = budget(store, { perSecond: 5 });
      store.failing = true;
      const single = b.acquire('app').catch((e: unknown) => e);
      const bulk = Array.from({ length: 3 }, () => track(call(b, { priority: 'bulk' })));
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

    it('asks a store that hung again for its bulk callers, releasing what it grants too late', async () => {
      let hang = true;
      const late: Array<() => void> = [];
      const store: RateLimitStore = {
        tryTake: (key, id, limit, holdMs, bulk) =>
          hang
            ? new Promise((resolve) =>
                late.push(() => resolve(memory.tryTake(key, id, limit, holdMs, bulk))),
              )
            : memory.tryTake(key, id, limit, holdMs, bulk),
        release: (key, id) => memory.release(key, id),
      };
      const b = budget(store, { perSecond: 1, maxWaitMs: 1_000 });
      const bulk = track(b.acquire('app', { priority: 'bulk' }));
      await jest.advanceTimersByTimeAsync(10_000);
      expect(bulk.settled).toBe(false);
      hang = false;
      // The takes it gave up on are granted now: their places are released, not lost.
      for (const answer of late) answer();
      await jest.advanceTimersByTimeAsync(3_000);
      expect(bulk).toEqual({ settled: true });
      expect(memory.held('app')).toBe(1);
    });

    it('gives interactive callers precedence across instances sharing a store', async () => {
      // Instance A keeps the shared budget saturated with bulk work; instance B sends one message.
      const a = budget(memory, { perSecond: 500 });
      const b = budget(memory, { perSecond: 500 });
      let bulkGranted = 0;
      const keepBusy = async () => {
        for (;;) {
          const place = await a.acquire('app', { priority: 'bulk' }).catch(() => undefined);
          if (!place) return;
          // Each call takes 20 ms.
          await new Promise((resolve) => setTimeout(resolve, 20));
          a.release(place);
          if (++bulkGranted >= 2_000) return;
        }
      };
      const runs = Array.from({ length: 64 }, keepBusy);
      await jest.advanceTimersByTimeAsync(1_000);

      const waits: number[] = [];
      for (let i = 0; i < 20; i++) {
        const asked = Date.now();
        const single = call(b).then(() => waits.push(Date.now() - asked));
        await jest.advanceTimersByTimeAsync(50);
        await single;
      }
      // Granted in the same millisecond: bulk takes always leave the place interactive ones take.
      expect(waits).toEqual(Array.from({ length: 20 }, () => 0));
      await a.close();
      await jest.advanceTimersByTimeAsync(20);
      await Promise.all(runs);
    });
  });

  describe('after an upstream 429 (someone else spends the AppId)', () => {
    it('takes one place per throttled call from the key, and gives it back over seconds', async () => {
      const b = budget(memory, { perSecond: 100 });
      for (let i = 0; i < 3; i++) b.release(await b.acquire('app'), true);
      expect(b.limitOf('app')).toBe(97);
      expect(b.limitOf('other')).toBe(100);
      // Regrows by 1% of the limit per second squared: +1 after 1 s, +3 (all of it) by 1.8 s.
      await jest.advanceTimersByTimeAsync(1_000);
      expect(b.limitOf('app')).toBe(98);
      await jest.advanceTimersByTimeAsync(800);
      expect(b.limitOf('app')).toBe(100);
    });

    it('asks the store for the lowered limit', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, { perSecond: 10 });
      b.release(await b.acquire('app'), true);
      b.release(await b.acquire('app'), true);
      await b.acquire('app');
      expect(store.calls.map((c) => c.limit)).toEqual([10, 9, 8]);
    });
  });

  describe('against a gateway that counts each call anywhere between its take and its answer', () => {
    it('is never throttled, and keeps the window rate near the limit', async () => {
      const b = budget(memory, { perSecond: 100, maxWaitMs: 60_000, maxQueued: 100_000 });
      const random = seededRandom(42);
      const calls: Array<{ take: number; counted: number }> = [];
      const send = async () => {
        const place = await b.acquire('app');
        const take = Date.now();
        const roundTrip = 1 + random() * (random() < 0.1 ? 300 : 20);
        await new Promise((resolve) => setTimeout(resolve, roundTrip));
        const answer = Date.now();
        calls.push({ take, counted: take + random() * (answer - take) });
        b.release(place);
      };
      // 150% of the limit for 8 s.
      const all: Promise<void>[] = [];
      for (let t = 0; t < 8_000; t += 100) {
        for (let i = 0; i < 15; i++) all.push(send());
        await jest.advanceTimersByTimeAsync(100);
      }
      await jest.advanceTimersByTimeAsync(10_000);
      await Promise.all(all);

      const gateway = new SlidingWindowCounter(100, 1_000);
      const counted = calls.map((c) => c.counted).sort((x, y) => x - y);
      expect(counted.filter((at) => !gateway.tryAcquire('app', at))).toEqual([]);
      const takes = calls.map((c) => c.take).sort((x, y) => x - y);
      let gaps = 0;
      for (let i = 0; i + 100 < takes.length; i++) gaps += takes[i + 100] - takes[i];
      const windowRate = (100 * 1_000) / (gaps / (takes.length - 100));
      expect(windowRate).toBeGreaterThan(90);
    }, 30_000);
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
      await expect(b.acquire('app')).resolves.toMatchObject({ key: 'app' });
      expect(b.storeState).toBe('shared');
      expect(states.map(([s]) => s)).toEqual(['unavailable', 'shared']);
      expect(states[0][1]).toBeInstanceOf(Error);
    });

    it('rejects every waiter of the key at once rather than one by one', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, { perSecond: 1, maxWaitMs: 5_000 });
      await call(b);
      const waiters = Array.from({ length: 3 }, () => b.acquire('app').catch((e: unknown) => e));
      store.failing = true;
      // The place frees at t=1000: the head's take then fails.
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
        release: async () => undefined,
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
      const failing: RateLimitStore = {
        tryTake: () => Promise.reject(authError),
        release: async () => undefined,
      };
      const error = (await budget(failing)
        .acquire('app')
        .catch((e: unknown) => e)) as RtcBudgetUnavailableError;
      expect(error.message).toContain('WRONGPASS');
      expect(error.cause).toBeInstanceOf(Error);
      expect(JSON.stringify(error.cause)).not.toContain('hunter2');
      expect(error.cause).not.toHaveProperty('command');
    });
  });

  describe("when the store fails, with onStoreError 'local'", () => {
    it('holds floor(perSecond / instances) places in memory, then returns to the shared store', async () => {
      const store = new FlakyStore(new MemoryRateLimitStore({ now }));
      const states: BudgetStoreState[] = [];
      const b = budget(store, {
        perSecond: 10,
        maxWaitMs: 10_000,
        onStoreError: 'local',
        instances: 3,
        onStoreStateChange: (s) => states.push(s),
      });

      store.failing = true;
      const grantedAt = Array.from({ length: 7 }, () => track(call(b)));
      const times: number[] = [];
      const all = Array.from({ length: 7 }, () => call(b).then((t) => times.push(t)));
      await jest.advanceTimersByTimeAsync(0);
      expect(b.storeState).toBe('local');
      expect(states).toEqual(['local']);
      // floor(10 / 3) = 3 places while local.
      expect(grantedAt.filter((g) => g.settled)).toHaveLength(3);

      // The store is back: the next local grant is also a probe (at most one per second).
      store.failing = false;
      await jest.advanceTimersByTimeAsync(5_000);
      await Promise.all(all);
      expect(b.storeState).toBe('shared');
      expect(states).toEqual(['local', 'shared']);
      expect(times.length).toBe(7);
    });

    it('tries a release the shared store failed again, on the shared store', async () => {
      const store = new FlakyStore(memory);
      const b = budget(store, { perSecond: 4, onStoreError: 'local', instances: 2 });
      const place = await b.acquire('app');
      store.failing = true;
      b.release(place);
      await jest.advanceTimersByTimeAsync(50);
      store.failing = false;
      await jest.advanceTimersByTimeAsync(100);
      // The retry, 100 ms after the failure, reached the shared store (it used to stop short).
      expect(store.releases).toEqual([place.id, place.id]);
      expect(memory.held('app')).toBe(1);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(memory.held('app')).toBe(0);
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
      const burst = (n: number) => Promise.all(Array.from({ length: n }, () => call(b)));
      store.failing = true;
      await call(b);
      const afterFailure = store.calls.length;
      await burst(20);
      expect(store.calls.length).toBe(afterFailure);
      await jest.advanceTimersByTimeAsync(1_000);
      await burst(20);
      expect(store.calls.length).toBe(afterFailure + 1);
      expect(b.storeState).toBe('local');
    });

    it('goes on from the places taken through the shared store when it switches to local', async () => {
      const options: CallBudgetOptions = {
        perSecond: 10,
        maxWaitMs: 0,
        onStoreError: 'local',
        instances: 2,
      };
      // The local share is 5 places.
      const freshStore = new FlakyStore(memory);
      const fresh = budget(freshStore, options);
      freshStore.failing = true;
      await expect(
        Promise.all(Array.from({ length: 5 }, () => fresh.acquire('a'))),
      ).resolves.toHaveLength(5);

      const store = new FlakyStore(memory);
      const b = budget(store, options);
      await Promise.all(Array.from({ length: 5 }, () => call(b)));
      store.failing = true;
      // All five places of the share were taken through the shared store just now.
      await expect(b.acquire('app')).rejects.toBeInstanceOf(RtcRateLimitedError);
      expect(b.storeState).toBe('local');
      await jest.advanceTimersByTimeAsync(1_000);
      await expect(b.acquire('app')).resolves.toMatchObject({ key: 'app' });
    });

    it('back on the shared store, counts the places granted while local, which it does not know', async () => {
      const shared = new MemoryRateLimitStore({ now });
      const store = new FlakyStore(shared);
      const b = budget(store, {
        perSecond: 10,
        maxWaitMs: 10_000,
        onStoreError: 'local',
        instances: 2,
        probeIntervalMs: 500,
      });
      store.failing = true;
      // Three places while local, released at once: held until t=1000.
      await Promise.all([call(b), call(b), call(b)]);
      store.failing = false;
      await jest.advanceTimersByTimeAsync(600);
      // A fourth, local, probes the shared store, which grants it too: back to shared.
      await call(b);
      expect(b.storeState).toBe('shared');
      expect(shared.held('app')).toBe(1);

      const granted = Array.from({ length: 10 }, () => track(call(b)));
      await jest.advanceTimersByTimeAsync(0);
      // 10 less the four local places (the probe's counted twice, on the safe side), less the
      // probe's shared one: five, not nine.
      expect(granted.filter((g) => g.settled)).toHaveLength(5);
      await jest.advanceTimersByTimeAsync(400);
      // At t=1000 the three local places free: three more.
      expect(granted.filter((g) => g.settled)).toHaveLength(8);
      await jest.advanceTimersByTimeAsync(2_000);
    });
  });

  it('rejects waiters and new callers once closed, and leaves no timer behind', async () => {
    const b = budget(memory, { perSecond: 1 });
    b.release(await b.acquire('app'));
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
    ['callTimeoutMs', { callTimeoutMs: 0 }],
    ['instances', { onStoreError: 'local', instances: 0 }],
    ['instances', { onStoreError: 'local', instances: 600 }],
    ['onStoreError', { onStoreError: 'ignore' } as unknown as CallBudgetOptions],
  ])('refuses a bad %s at construction', (name, options) => {
    expect(() => new CallBudget(memory, options)).toThrow(RtcConfigurationError);
    expect(() => new CallBudget(memory, options)).toThrow(name);
  });
});
