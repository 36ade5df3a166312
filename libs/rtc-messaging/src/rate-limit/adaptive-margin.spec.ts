import { densest, seededRandom } from '../../test/time-windows';
import { AdaptiveMargin } from './adaptive-margin';
import { CallBudget } from './call-budget';
import { MemoryRateLimitStore } from './memory-rate-limit.store';

const now = () => Date.now();

describe('AdaptiveMargin', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** Feeds `count` round trips over `spanMs`, from `trip()`. */
  function feed(margin: AdaptiveMargin, count: number, spanMs: number, trip: () => number) {
    for (let i = 0; i < count; i++) {
      jest.advanceTimersByTime(spanMs / count);
      margin.observe(trip());
    }
  }

  it('starts at initialMs, then follows the spread of round trips within its bounds', () => {
    const margin = new AdaptiveMargin({ now });
    expect(margin.current()).toBe(30);
    const next = seededRandom(1);
    // Round trips of 20 to 32 ms: a spread of about 12 ms.
    feed(margin, 1_000, 2_000, () => 20 + 12 * next());
    expect(margin.current()).toBeGreaterThanOrEqual(11);
    expect(margin.current()).toBeLessThanOrEqual(12);
    // A steady link: the floor.
    feed(margin, 1_000, 2_100, () => 20 + 0.5 * next());
    expect(margin.current()).toBe(4);
    // A wild one: the ceiling.
    feed(margin, 1_000, 500, () => 20 + 400 * next());
    expect(margin.current()).toBe(100);
  });

  it('ignores a stray outlier (the 99th percentile decides)', () => {
    const margin = new AdaptiveMargin({ now });
    const next = seededRandom(2);
    feed(margin, 900, 1_800, () => 10 + 2 * next());
    margin.observe(300);
    feed(margin, 10, 20, () => 10 + 2 * next());
    expect(margin.current()).toBe(4);
  });

  it('widens as soon as slow round trips are more than a stray few', () => {
    const margin = new AdaptiveMargin({ now });
    const next = seededRandom(3);
    feed(margin, 1_000, 2_000, () => 10 + 2 * next());
    expect(margin.current()).toBe(4);
    // 5% of the calls now take 50 ms longer: within 50 ms of their coming back, the margin covers them.
    feed(margin, 50, 50, () => 60);
    expect(margin.current()).toBeGreaterThanOrEqual(50);
  });

  it('shrinks only once the slow round trips have left the sample', () => {
    const margin = new AdaptiveMargin({ now });
    const next = seededRandom(4);
    feed(margin, 1_000, 1_000, () => 10 + 40 * next());
    const wide = margin.current();
    expect(wide).toBeGreaterThanOrEqual(38);
    feed(margin, 100, 150, () => 10 + next());
    // Every slow one came back within the 1.2 s sample: still covered.
    expect(margin.current()).toBeGreaterThanOrEqual(wide);
    feed(margin, 400, 1_200, () => 10 + next());
    expect(margin.current()).toBe(4);
  });

  it('keeps the last margin through a quiet spell instead of guessing from a handful', () => {
    const margin = new AdaptiveMargin({ now });
    const next = seededRandom(5);
    feed(margin, 1_000, 2_000, () => 10 + 20 * next());
    const busy = margin.current();
    jest.advanceTimersByTime(60_000);
    margin.observe(10);
    expect(margin.current()).toBe(busy);
  });

  it('holds the ceiling for throttleHoldMs after an upstream 429', () => {
    const margin = new AdaptiveMargin({ now, throttleHoldMs: 5_000 });
    feed(margin, 1_000, 2_000, () => 10);
    expect(margin.current()).toBe(4);
    margin.throttled();
    expect(margin.current()).toBe(100);
    jest.advanceTimersByTime(4_999);
    expect(margin.current()).toBe(100);
    jest.advanceTimersByTime(2);
    expect(margin.current()).toBe(4);
  });

  it.each([
    [{ minMs: -1 }, 'minMs'],
    [{ minMs: 10, maxMs: 5 }, 'maxMs'],
    [{ initialMs: 500 }, 'initialMs'],
    [{ sampleMs: 1_050 }, 'sampleMs'],
    [{ minSamples: 0 }, 'minSamples'],
  ])('refuses %o', (options, name) => {
    expect(() => new AdaptiveMargin(options)).toThrow(name);
  });
});

describe('CallBudget with the adaptive margin, against an upstream counting arrivals in any sliding second', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /**
   * Demand at 120% of 500/s. Each grant reaches the upstream `oneWay()` ms later and its answer
   * comes back 1 ms after that, when the budget hears the round trip, as the dispatcher tells it.
   */
  async function run(oneWay: (t: number) => number, durationMs: number) {
    const b = new CallBudget(new MemoryRateLimitStore({ now }), {
      now,
      coldStartMs: 0,
      maxWaitMs: 2_000,
      maxQueued: 100_000,
    });
    const arrivals: number[] = [];
    const margins: Array<[number, number]> = [];
    for (let t = 0; t < durationMs; t += 100) {
      for (let i = 0; i < 60; i++) {
        b.acquire('app').then(
          () => {
            const delay = oneWay(Date.now());
            arrivals.push(Date.now() + delay);
            setTimeout(() => b.observeRoundTrip(delay + 1), delay + 1);
          },
          () => undefined,
        );
      }
      await jest.advanceTimersByTimeAsync(100);
      margins.push([t, b.marginMs]);
    }
    await b.close();
    return { arrivals: arrivals.sort((x, y) => x - y), margins };
  }

  it('holds the limit while the link calms down and the margin shrinks, and then paces at ≥ 98.5% of it', async () => {
    const next = seededRandom(42);
    // 40 ms of one-way jitter for 5 s, then 2 ms.
    const { arrivals, margins } = await run((t) => next() * (t < 5_000 ? 40 : 2), 14_000);

    expect(densest(arrivals, 1_000)).toBeLessThanOrEqual(500);
    const marginAt = (t: number) => margins.find(([at]) => at >= t)![1];
    expect(marginAt(4_000)).toBeGreaterThanOrEqual(39);
    // The slow calls are still in the sample half a second after the link calmed down…
    expect(marginAt(5_500)).toBeGreaterThanOrEqual(39);
    // …and then the margin shrinks to the floor.
    expect(marginAt(7_000)).toBeLessThanOrEqual(4);
    const lastFour = arrivals.filter((a) => a >= 10_000 && a < 14_000).length;
    expect(lastFour / 4).toBeGreaterThanOrEqual(0.985 * 500);
  }, 90_000);

  it('holds the limit when the link turns jittery while the margin is small', async () => {
    const next = seededRandom(7);
    // A calm link for 4 s, then one-way delays varying by 40 ms.
    const { arrivals, margins } = await run((t) => next() * (t < 4_000 ? 2 : 40), 10_000);
    expect(densest(arrivals, 1_000)).toBeLessThanOrEqual(500);
    expect(margins.at(-1)![1]).toBeGreaterThanOrEqual(39);
  }, 90_000);
});
