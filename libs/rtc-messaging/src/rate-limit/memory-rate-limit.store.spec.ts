import { MemoryRateLimitStore } from './memory-rate-limit.store';

/** A place's hold if never released: the call's timeout, the window and a grace. */
const HOLD = 12_000;

describe('MemoryRateLimitStore (places of the window)', () => {
  let time: number;
  let store: MemoryRateLimitStore;
  let nextId: number;

  beforeEach(() => {
    time = 0;
    nextId = 0;
    store = new MemoryRateLimitStore({ now: () => time });
  });

  async function takeMany(n: number, key = 'app', limit = 3, bulk = false) {
    const results = [];
    for (let i = 0; i < n; i++) {
      const id = String(nextId++);
      results.push({ id, ...(await store.tryTake(key, id, limit, HOLD, bulk)) });
    }
    return results;
  }

  it('grants the limit at once, then refuses, at most one window ahead while places are in flight', async () => {
    time = 100;
    expect((await takeMany(4)).map(({ id: _, ...result }) => result)).toEqual([
      { granted: true },
      { granted: true },
      { granted: true },
      // Each in flight: its answer may come any moment, and it frees a window after that.
      { granted: false, retryAfterMs: 1_000 },
    ]);
  });

  it('holds a released place for one window from its release, then frees it', async () => {
    const [first] = await takeMany(3);
    time = 250;
    await store.release('app', first.id);
    expect(await store.tryTake('app', 'x', 3, HOLD)).toEqual({
      granted: false,
      retryAfterMs: 1_000,
    });
    time = 1_249;
    expect(await store.tryTake('app', 'x', 3, HOLD)).toEqual({ granted: false, retryAfterMs: 1 });
    time = 1_250;
    expect(await store.tryTake('app', 'x', 3, HOLD)).toEqual({ granted: true });
  });

  it('frees a place never released when its hold passes', async () => {
    await takeMany(3);
    time = HOLD - 1;
    expect((await takeMany(1))[0].granted).toBe(false);
    time = HOLD;
    expect((await takeMany(1))[0].granted).toBe(true);
  });

  it('ignores a release of a place it no longer holds', async () => {
    const [first] = await takeMany(1);
    await store.release('app', first.id);
    await store.release('app', first.id);
    await store.release('app', 'never-taken');
    expect(store.held('app')).toBe(1);
  });

  it('keeps keys apart', async () => {
    await takeMany(3, 'a');
    expect((await takeMany(3, 'b')).every((r) => r.granted)).toBe(true);
  });

  it('leaves room to interactive takes: bulk ones fill one fewer, less the interactive held', async () => {
    // Limit 6: bulk alone fills 5.
    expect((await takeMany(6, 'a', 6, true)).filter((r) => r.granted)).toHaveLength(5);
    // Two interactive places held: bulk fills up to 6 - 1 - 2 = 3 places in all.
    await takeMany(2, 'b', 6);
    expect((await takeMany(3, 'b', 6, true)).filter((r) => r.granted)).toHaveLength(1);
    // An interactive take still finds a place.
    expect((await takeMany(1, 'b', 6))[0].granted).toBe(true);
    // With a limit of 1 there is nothing to leave.
    expect((await takeMany(1, 'c', 1, true))[0].granted).toBe(true);
  });

  it('forgets keys that hold no place, so new keys cannot grow memory without end', async () => {
    for (let i = 0; i < 100; i++) await store.release(`k${i}`, (await takeMany(1, `k${i}`))[0].id);
    await takeMany(1, 'busy');
    time = 120_000;
    await takeMany(1, 'fresh');
    const keys = (store as unknown as { keys: Map<string, unknown> }).keys;
    expect([...keys.keys()].sort()).toEqual(['fresh']);
  });

  describe('maxKeys: no sequence of distinct keys grows memory without limit', () => {
    const keysOf = (s: MemoryRateLimitStore) =>
      (s as unknown as { keys: Map<string, unknown> }).keys.size;

    it('holds at most maxKeys keys within one sweep interval, however many distinct keys come', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 100 });
      for (let i = 0; i < 10_000; i++) {
        time = i / 1_000; // 10,000 keys within 10 ms: the periodic sweep never runs
        await bounded.tryTake(`k${i}`, 'p', 1, HOLD);
      }
      expect(keysOf(bounded)).toBeLessThanOrEqual(100);
    });

    it('forgets only keys that hold no place to make room, at once rather than once a minute', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 2 });
      await bounded.tryTake('a', 'a1', 1, HOLD);
      await bounded.release('a', 'a1'); // held until t=1,000
      time = 500;
      await bounded.tryTake('b', 'b1', 1, HOLD);
      time = 1_000;
      expect(await bounded.tryTake('c', 'c1', 1, HOLD)).toEqual({ granted: true }); // 'a' was idle
      expect(keysOf(bounded)).toBe(2);
    });

    it('refuses a new key while every kept key holds places: forgetting one would free them', async () => {
      const bounded = new MemoryRateLimitStore({ now: () => time, maxKeys: 2 });
      await bounded.tryTake('a', 'a1', 1, HOLD);
      await bounded.release('a', 'a1'); // held until t=1,000
      time = 300;
      await bounded.tryTake('b', 'b1', 1, HOLD);
      // Until 'a' frees its place at t=1,000 there is no room; then 'c' fits.
      expect(await bounded.tryTake('c', 'c1', 1, HOLD)).toEqual({
        granted: false,
        retryAfterMs: 700,
      });
      // 'a' keeps its place: it was not forgotten to make room.
      expect(await bounded.tryTake('a', 'a2', 1, HOLD)).toEqual({
        granted: false,
        retryAfterMs: 700,
      });
      time = 1_000;
      expect(await bounded.tryTake('c', 'c1', 1, HOLD)).toEqual({ granted: true });
    });

    it('refuses maxKeys that is not a positive whole number', () => {
      expect(() => new MemoryRateLimitStore({ maxKeys: 0 })).toThrow(RangeError);
      expect(() => new MemoryRateLimitStore({ maxKeys: 1.5 })).toThrow(RangeError);
    });
  });

  it('rejects arguments it cannot honour', async () => {
    for (const [limit, hold] of [
      [-1, HOLD],
      [1.5, HOLD],
      [Number.NaN, HOLD],
      [1, 999],
      [1, Number.POSITIVE_INFINITY],
      [1, Number.NaN],
    ]) {
      await expect(store.tryTake('app', 'x', limit, hold)).rejects.toThrow(RangeError);
    }
  });
});
