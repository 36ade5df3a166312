import { MemoryRateLimitStore } from './memory-rate-limit.store';

describe('MemoryRateLimitStore', () => {
  let time: number;
  let store: MemoryRateLimitStore;

  beforeEach(() => {
    time = 0;
    store = new MemoryRateLimitStore({ now: () => time });
  });

  async function takeMany(n: number, key = 'app', limit = 3, windowMs = 1000) {
    const results = [];
    for (let i = 0; i < n; i++) results.push(await store.tryTake(key, limit, windowMs));
    return results;
  }

  it('grants `limit` units, then refuses with the time until the oldest leaves the window', async () => {
    time = 100;
    expect(await takeMany(3)).toEqual([{ granted: true }, { granted: true }, { granted: true }]);
    time = 400;
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: false, retryAfterMs: 700 });
  });

  it('grants again exactly when the oldest unit leaves, and only one per unit that left', async () => {
    time = 0;
    await store.tryTake('app', 3, 1000);
    time = 200;
    await takeMany(2);
    time = 999;
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: false, retryAfterMs: 1 });
    time = 1000;
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: true });
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: false, retryAfterMs: 200 });
  });

  it('is a sliding window, not a fixed one: grants at t=900 still count at t=1500', async () => {
    time = 900;
    await takeMany(3);
    time = 1500;
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: false, retryAfterMs: 400 });
    time = 1900;
    expect(await takeMany(4)).toEqual([
      { granted: true },
      { granted: true },
      { granted: true },
      { granted: false, retryAfterMs: 1000 },
    ]);
  });

  it('never grants more than `limit` in any window under a steady stream of attempts', async () => {
    const grants: number[] = [];
    for (time = 0; time < 5000; time += 7) {
      if ((await store.tryTake('app', 10, 1000)).granted) grants.push(time);
    }
    for (const t of grants) {
      expect(grants.filter((g) => g > t - 1000 && g <= t).length).toBeLessThanOrEqual(10);
    }
    // And it does not under-grant: 10 per window over five windows.
    expect(grants.length).toBe(50);
  });

  it('rounds a fractional wait up to whole milliseconds, never below one', async () => {
    time = 0.25;
    await takeMany(3);
    time = 1000;
    expect(await store.tryTake('app', 3, 1000)).toEqual({ granted: false, retryAfterMs: 1 });
  });

  it('keeps keys apart', async () => {
    await takeMany(3, 'a');
    expect(await store.tryTake('a', 3, 1000)).toMatchObject({ granted: false });
    expect(await store.tryTake('b', 3, 1000)).toEqual({ granted: true });
  });

  it('keeps the newest grants when the limit of a key changes', async () => {
    for (time = 0; time < 4; time++) await store.tryTake('app', 4, 1000);
    time = 10;
    // The lower limit is already spent by the two newest grants (t=2, t=3).
    expect(await store.tryTake('app', 2, 1000)).toEqual({ granted: false, retryAfterMs: 992 });
    time = 1002;
    expect(await store.tryTake('app', 2, 1000)).toEqual({ granted: true });
    // A higher limit grants the difference at once.
    expect(await takeMany(3, 'app', 5)).toEqual([
      { granted: true },
      { granted: true },
      { granted: true },
    ]);
    expect(await store.tryTake('app', 5, 1000)).toMatchObject({ granted: false });
  });

  it('forgets idle keys, so new keys cannot grow memory without end', async () => {
    for (let i = 0; i < 100; i++) await store.tryTake(`k${i}`, 3, 1000);
    time = 120_000;
    await store.tryTake('fresh', 3, 1000);
    expect((store as unknown as { logs: Map<string, unknown> }).logs.size).toBe(1);
  });

  it('rejects limits and windows that cannot be honoured', async () => {
    await expect(store.tryTake('app', 0, 1000)).rejects.toThrow(RangeError);
    await expect(store.tryTake('app', 1.5, 1000)).rejects.toThrow(RangeError);
    await expect(store.tryTake('app', 1, 0)).rejects.toThrow(RangeError);
  });
});
