import { gcraTake, paceFor } from './gcra';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { GcraRate } from './rate-limit-store.interface';
import { densest, seededRandom } from '../../test/time-windows';

describe('MemoryRateLimitStore (GCRA)', () => {
  let time: number;
  let store: MemoryRateLimitStore;
  /** One unit per 10 ms, two ahead of that pace: three at once from rest. */
  const rate: GcraRate = { intervalMs: 10, burst: 2 };

  beforeEach(() => {
    time = 0;
    store = new MemoryRateLimitStore({ now: () => time });
  });

  async function takeMany(n: number, key = 'app', r = rate) {
    const results = [];
    for (let i = 0; i < n; i++) results.push(await store.tryTake(key, r));
    return results;
  }

  it('grants burst + 1 at once, then refuses with the time until the next unit', async () => {
    time = 100;
    expect(await takeMany(4)).toEqual([
      { granted: true },
      { granted: true },
      { granted: true },
      // TAT = 130, so the next take is allowed at 130 - 2 × 10 = 110.
      { granted: false, retryAfterMs: 10 },
    ]);
  });

  it('then grants exactly one unit per interval, no earlier, however often it is asked', async () => {
    await takeMany(3);
    const grants: number[] = [];
    for (time = 0; time < 100; time += 0.5) {
      if ((await store.tryTake('app', rate)).granted) grants.push(time);
    }
    expect(grants).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('says exactly when to retry: a take then is granted, one a moment earlier is not', async () => {
    const r = { intervalMs: 2.5, burst: 1 };
    await takeMany(2, 'app', r);
    time = 0.7;
    // TAT = 5, allowed again at 5 - 2.5 = 2.5: 1.8 ms away, rounded up.
    expect(await store.tryTake('app', r)).toEqual({ granted: false, retryAfterMs: 2 });
    time = 2.49;
    expect(await store.tryTake('app', r)).toEqual({ granted: false, retryAfterMs: 1 });
    time = 2.5;
    expect(await store.tryTake('app', r)).toEqual({ granted: true });
    // A refusal never says 0, even when the unit is only a fraction of a millisecond away.
    time = 4.99;
    expect(await store.tryTake('app', r)).toEqual({ granted: false, retryAfterMs: 1 });
    time = 5;
    expect(await store.tryTake('app', r)).toEqual({ granted: true });
  });

  it('absorbs a late take in the burst: a caller that comes late keeps the sustained pace', async () => {
    await takeMany(3);
    // Every take 4 ms after it was allowed: the TAT stays ahead, so the pace stays 10 ms.
    const grants: number[] = [];
    let next = 14;
    for (let i = 0; i < 50; i++) {
      time = next;
      expect(await store.tryTake('app', rate)).toEqual({ granted: true });
      grants.push(time);
      const refused = await store.tryTake('app', rate);
      expect(refused.granted).toBe(false);
      next = time + (refused as { retryAfterMs: number }).retryAfterMs + 4;
    }
    // 50 grants from t=14 on: with a 10 ms interval the 50th is due by 14 + 49 × 10 + 4.
    expect(grants[49]).toBeLessThanOrEqual(14 + 49 * 10 + 4);
  });

  it('refills the burst after a pause, but never beyond burst + 1', async () => {
    await takeMany(3);
    time = 1_000;
    expect(await takeMany(4)).toEqual([
      { granted: true },
      { granted: true },
      { granted: true },
      { granted: false, retryAfterMs: 10 },
    ]);
  });

  it('keeps keys apart', async () => {
    await takeMany(3, 'a');
    expect(await store.tryTake('a', rate)).toMatchObject({ granted: false });
    expect(await store.tryTake('b', rate)).toEqual({ granted: true });
  });

  it('holds any span of W ms to floor(W / T) + burst + 1 grants, for random arrival times', async () => {
    const next = seededRandom(7);
    for (const r of [
      { intervalMs: 10, burst: 0 },
      { intervalMs: 7.3, burst: 3 },
      { intervalMs: 2.0776, burst: 4 },
    ]) {
      const grants: number[] = [];
      time = 0;
      for (let i = 0; i < 20_000; i++) {
        // Bursts of attempts and quiet stretches: gaps from 0 to ~3 intervals, skewed short.
        time += next() ** 3 * 3 * r.intervalMs;
        if ((await store.tryTake(`random-${r.intervalMs}`, r)).granted) grants.push(time);
      }
      for (const span of [r.intervalMs, 100, 1_000, 1_030]) {
        expect(densest(grants, span)).toBeLessThanOrEqual(
          Math.floor(span / r.intervalMs) + r.burst + 1,
        );
      }
    }
  });

  it('forgets keys whose TAT has passed, so new keys cannot grow memory without end', async () => {
    for (let i = 0; i < 100; i++) await store.tryTake(`k${i}`, rate);
    await takeMany(3, 'busy', { intervalMs: 100_000, burst: 2 });
    time = 120_000;
    await store.tryTake('fresh', rate);
    const tats = (store as unknown as { tats: Map<string, number> }).tats;
    // `busy` is paced until t=300,000; the idle keys are gone.
    expect([...tats.keys()].sort()).toEqual(['busy', 'fresh']);
    // A forgotten key decides as before: burst + 1 at once.
    expect(await takeMany(4, 'k0')).toMatchObject([
      { granted: true },
      { granted: true },
      { granted: true },
      { granted: false },
    ]);
  });

  describe('maxKeys: no sequence of distinct keys grows memory without limit', () => {
    const slow: GcraRate = { intervalMs: 1_000, burst: 0 };
    const keysOf = (s: MemoryRateLimitStore) =>
      (s as unknown as { tats: Map<string, number> }).tats.size;

    it('holds at most maxKeys keys within one sweep interval, however many distinct keys come', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 100 });
      for (let i = 0; i < 10_000; i++) {
        time = i / 1_000; // 10,000 keys within 10 ms: the periodic sweep never runs
        await bounded.tryTake(`k${i}`, slow);
      }
      expect(keysOf(bounded)).toBeLessThanOrEqual(100);
    });

    it('forgets only keys whose TAT has passed to make room, at once rather than once a minute', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 2 });
      await bounded.tryTake('a', slow); // TAT 1,000
      time = 500;
      await bounded.tryTake('b', slow); // TAT 1,500
      time = 1_000;
      expect(await bounded.tryTake('c', slow)).toEqual({ granted: true }); // 'a' was idle
      expect(keysOf(bounded)).toBe(2);
    });

    it('refuses a new key while every kept key is still paced: evicting one would reset its pace', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 2 });
      await bounded.tryTake('a', slow); // TAT 1,000
      time = 300;
      await bounded.tryTake('b', slow); // TAT 1,300
      // Until 'a' is idle at t=1,000 there is no room; then 'c' fits.
      expect(await bounded.tryTake('c', slow)).toEqual({ granted: false, retryAfterMs: 700 });
      // 'a' keeps its pace: it was not evicted to make room.
      expect(await bounded.tryTake('a', slow)).toEqual({ granted: false, retryAfterMs: 700 });
      time = 1_000;
      expect(await bounded.tryTake('c', slow)).toEqual({ granted: true });
    });

    it('refuses maxKeys that is not a positive whole number', () => {
      expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow(RangeError);
      expect(() => new MemoryRateLimitStore({ maxKeys: 1.5 })).toThrow(RangeError);
    });
  });

  it('rejects rates that cannot be honoured', async () => {
    for (const bad of [
      { intervalMs: 0, burst: 1 },
      { intervalMs: -1, burst: 1 },
      { intervalMs: Number.POSITIVE_INFINITY, burst: 1 },
      { intervalMs: Number.NaN, burst: 1 },
      { intervalMs: 10, burst: -1 },
      { intervalMs: 10, burst: 1.5 },
    ]) {
      await expect(store.tryTake('app', bad)).rejects.toThrow(RangeError);
    }
  });
});

describe('paceFor', () => {
  it.each([1, 2, 3, 5, 10, 50, 99, 100, 250, 500, 1_000, 100_000])(
    'holds a span of 1030 ms, ends included, to %i grants, even when taken at the worst times',
    (limit) => {
      const windowMs = 1_030;
      const { intervalMs, burst } = paceFor(limit, windowMs);
      expect(Number.isInteger(burst) && burst >= 0 && burst < limit).toBe(true);
      expect(Math.floor(windowMs / intervalMs) + burst + 1).toBeLessThanOrEqual(limit);
      // Taking as soon as allowed, from rest, packs the most into a span starting at the first.
      let tat: number | undefined;
      const grants: number[] = [];
      for (let time = 0; time <= windowMs;) {
        const decision = gcraTake(tat, time, { intervalMs, burst });
        if (decision.granted) {
          tat = decision.tat;
          grants.push(time);
        } else {
          // Finer than the store's whole milliseconds, so that small intervals are tried too.
          time += Math.min(decision.retryAfterMs, intervalMs / 8);
        }
      }
      expect(grants.length).toBeLessThanOrEqual(limit);
      // And the bound is tight: at most the one unit the strict inequality costs is missing.
      expect(grants.length).toBeGreaterThanOrEqual(limit - 1);
    },
  );

  it('keeps at least 95% of 500 calls/s over 1030 ms, with a burst of 4', () => {
    const { intervalMs, burst } = paceFor(500, 1_030);
    expect(burst).toBe(4);
    expect(intervalMs).toBeGreaterThan(1_030 / 496);
    expect(intervalMs).toBeCloseTo(1_030 / 496, 6);
    expect(1_000 / intervalMs).toBeGreaterThan(481);
  });

  it('lets two calls go out together even at a limit of 2, and one at a limit of 1', () => {
    for (const limit of [1, 2]) {
      const { intervalMs, burst } = paceFor(limit, 1_030);
      expect(burst).toBe(limit - 1);
      expect(intervalMs).toBeGreaterThan(1_030);
      expect(intervalMs).toBeCloseTo(1_030, 4);
    }
    expect(paceFor(100, 1_030).burst).toBe(1);
    expect(paceFor(250, 1_030).burst).toBe(2);
  });
});
