/** A deterministic pseudo-random generator in [0, 1) (mulberry32): property tests that replay. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The most of `times` (sorted) that fit in one span of `spanMs`, ends included. */
export function densest(times: readonly number[], spanMs: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] > spanMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
