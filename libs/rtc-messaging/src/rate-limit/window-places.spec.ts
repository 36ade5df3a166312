import { seededRandom } from '../../test/time-windows';
import { SlidingWindowCounter } from '../testing/emulator/sliding-window-counter';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';

const W = 1_000;
const HOLD_MS = 10_000 + W + 1_000;

/** Where, between its take and its answer, the gateway counts a call. */
type CountingPoint = (take: number, answer: number, random: () => number, i: number) => number;

const COUNTING_POINTS: Record<string, CountingPoint> = {
  'at receipt (the take)': (take) => take,
  'at the answer': (_, answer) => answer,
  'anywhere between': (take, answer, random) => take + random() * (answer - take),
  // The adversary: some calls counted as late as possible, the next as early as possible, so
  // that the calls of two neighbouring stretches crowd into one window.
  'late then early, alternating by stretch': (take, answer, _, i) =>
    Math.floor(i / 37) % 2 === 0 ? answer : take,
};

/** How long each instance's calls take, from take to answer. */
type RoundTrip = (random: () => number, at: number) => number;

const ROUND_TRIPS: Record<string, RoundTrip> = {
  'fast and steady': (random) => 2 + random() * 3,
  'slow and spread': (random) => 20 + random() * 400,
  // A gateway that queues: each call waits behind a 40 ms pause every 1.5 s.
  'stalled every 1.5 s': (random, at) =>
    3 + random() * 5 + (at % 1_500 < 40 ? 40 - (at % 1_500) : 0),
  'timing out now and then': (random) => (random() < 0.02 ? 10_000 : 1 + random() * 30),
};

interface Instance {
  readonly roundTrip: RoundTrip;
  /** Calls waiting to go out. */
  backlog: number;
  readonly inFlight: Array<{ id: string; take: number; answer: number }>;
}

/**
 * Instances sharing `store` (each with its own round trips), each with more demand than the
 * limit, on a clock stepped by 0.25 ms: every step, each instance takes places while the store
 * grants them, and releases the calls whose answer has come. Returns every call's take and answer.
 */
async function run(
  store: RateLimitStore,
  clock: { now: number },
  limit: number,
  roundTrips: RoundTrip[],
  durationMs: number,
  seed: number,
) {
  const random = seededRandom(seed);
  const instances: Instance[] = roundTrips.map((roundTrip) => ({
    roundTrip,
    // Each starts with a backlog: a burst on an idle budget.
    backlog: 2 * limit,
    inFlight: [],
  }));
  const calls: Array<{ take: number; answer: number }> = [];
  let nextId = 0;
  for (clock.now = 0; clock.now < durationMs; clock.now += 0.25) {
    for (const instance of instances) {
      // Demand arrives in bursts, well over the limit in total.
      if (random() < 0.01) instance.backlog += Math.floor(random() * limit);
      for (let i = instance.inFlight.length - 1; i >= 0; i--) {
        const call = instance.inFlight[i];
        if (call.answer > clock.now) continue;
        instance.inFlight.splice(i, 1);
        await store.release('app', call.id);
      }
      while (instance.backlog > 0) {
        const id = String(nextId++);
        const result = await store.tryTake('app', id, limit, HOLD_MS);
        if (!result.granted) break;
        instance.backlog--;
        const answer = clock.now + instance.roundTrip(random, clock.now);
        instance.inFlight.push({ id, take: clock.now, answer });
        calls.push({ take: clock.now, answer });
      }
    }
  }
  return calls;
}

/** The most calls a sliding-window gateway counted in one window: it refuses beyond `limit`. */
function throttledBy(calls: number[], limit: number): number {
  const gateway = new SlidingWindowCounter(limit, W);
  const sorted = [...calls].sort((a, b) => a - b);
  return sorted.filter((at) => !gateway.tryAcquire('app', at)).length;
}

describe('the bound: a place held from the take until the answer plus the window', () => {
  describe.each(Object.entries(COUNTING_POINTS))('a gateway counting %s', (_, countAt) => {
    it.each([
      ['one instance, fast', ['fast and steady'], 1],
      ['one instance, slow', ['slow and spread'], 2],
      ['one instance behind a stalling gateway', ['stalled every 1.5 s'], 3],
      ['one instance whose calls sometimes time out', ['timing out now and then'], 4],
      [
        'three instances with different round trips',
        ['fast and steady', 'slow and spread', 'stalled every 1.5 s'],
        5,
      ],
    ])('%s: never over the limit in any window', async (_name, trips, seed) => {
      const clock = { now: 0 };
      const store = new MemoryRateLimitStore({ now: () => clock.now });
      const limit = 50;
      const calls = await run(
        store,
        clock,
        limit,
        trips.map((name) => ROUND_TRIPS[name]),
        6_000,
        seed,
      );
      const random = seededRandom(seed * 7);
      const counted = calls.map((call, i) => countAt(call.take, call.answer, random, i));
      // Enough calls that the limit was reached again and again.
      expect(calls.length).toBeGreaterThan(3 * limit);
      expect(throttledBy(counted, limit)).toBe(0);
    });
  });

  it('(a store that frees each place at its answer is throttled by a gateway counting at the answer)', async () => {
    const clock = { now: 0 };
    // Places held from the take until the answer only: a count of calls in flight.
    const inFlight = new Set<string>();
    const store: RateLimitStore = {
      tryTake: async (_key, id, limit) => {
        if (inFlight.size >= limit) return { granted: false, retryAfterMs: 1 };
        inFlight.add(id);
        return { granted: true };
      },
      release: async (_key, id) => void inFlight.delete(id),
    };
    const limit = 50;
    const calls = await run(store, clock, limit, [ROUND_TRIPS['fast and steady']], 3_000, 9);
    expect(
      throttledBy(
        calls.map((call) => call.answer),
        limit,
      ),
    ).toBeGreaterThan(0);
  });

  it('starts a burst at once, and uses the limit: a place serves a call per window plus round trip', async () => {
    const clock = { now: 0 };
    const store = new MemoryRateLimitStore({ now: () => clock.now });
    const limit = 50;
    // Always busy: 5 s at round trips of 2 to 5 ms.
    const calls = await run(store, clock, limit, [ROUND_TRIPS['fast and steady']], 5_000, 11);
    // Bursts start at once: the whole first window went at the first step.
    expect(calls.filter((call) => call.take === 0)).toHaveLength(limit);
    // The window rate: the limit over the mean time from a call to the limit-th after it, which
    // no shape of the pacing can flatter beyond the limit.
    const takes = calls.map((call) => call.take);
    let gaps = 0;
    for (let i = 0; i + limit < takes.length; i++) gaps += takes[i + limit] - takes[i];
    const windowRate = (limit * W) / (gaps / (takes.length - limit));
    expect(windowRate).toBeGreaterThan(0.99 * limit);
    expect(windowRate).toBeLessThanOrEqual(limit);
  });
});
