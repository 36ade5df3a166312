/** What one `tryTake` decided. */
export type TakeResult =
  | { readonly granted: true }
  | {
      readonly granted: false;
      /** When the next take can be granted, in whole milliseconds from now (≥ 1), rounded up. */
      readonly retryAfterMs: number;
    };

/**
 * The pace a store enforces for one key, as a generic cell rate algorithm (GCRA): one unit per
 * `intervalMs` sustained, and up to `burst` units ahead of that pace (so `burst + 1` at once from
 * rest). In any span of `W` ms, at most `floor(W / intervalMs) + burst + 1` units are granted.
 */
export interface GcraRate {
  /** The emission interval: ms between units at the sustained pace; positive, may be fractional. */
  readonly intervalMs: number;
  /** Units that may be granted ahead of the sustained pace; a whole number ≥ 0. */
  readonly burst: number;
}

/**
 * How soon one instance's calls reach the upstream after their grant, for a store that several
 * instances share (see `RedisRateLimitStore`). Each instance's margin covers how much its own
 * calls' delays vary, from `earliestMs` on; an instance farther from the upstream sees the same
 * spread on a later base. A shared store therefore paces each take at the time its call will
 * arrive at the earliest (its clock plus `earliestMs`), not the time of the grant, so that calls
 * of near and far instances are spaced where they meet: upstream.
 */
export interface ArrivalHint {
  /**
   * The least delay from this instance's grants to its calls' arrival upstream, in ms, as far as
   * it can tell: its shortest round trips, which hold the way back too (it cannot see arrivals);
   * 0 when it cannot tell yet.
   */
  readonly earliestMs: number;
}

/**
 * Where a GCRA rate limiter keeps its state, so that one process (memory) or many processes
 * (Redis) can share a budget behind the same limiter. Shaped after `@nestjs/throttler`'s
 * `ThrottlerStorage` (one atomic call that counts and decides), but pacing rather than counting:
 * per key it keeps one "theoretical arrival time" (TAT), the time the key would be idle again at
 * the sustained pace. A take at `now` is granted iff `now >= TAT - burst × intervalMs`, and then
 * moves the TAT to `max(TAT, now) + intervalMs`.
 *
 * Unlike a window counter or sliding log, GCRA spaces grants evenly instead of granting a whole
 * window's worth at once, so the calls it lets out do not queue up behind each other on their way
 * to the upstream (see `CallBudgetOptions.safetyMarginMs`).
 */
export interface RateLimitStore {
  /**
   * Atomically takes one unit for `key` if `rate` allows one now; otherwise takes nothing and says
   * when one will be allowed (if no one else takes it first). Rejects when the store cannot decide
   * (e.g. Redis is unreachable), or with a `RangeError` for a rate that cannot be honoured.
   * `arrival` matters to a store shared by several instances only (see `ArrivalHint`); one that
   * paces a single instance ignores it.
   */
  tryTake(key: string, rate: GcraRate, arrival?: ArrivalHint): Promise<TakeResult>;

  /** Releases what the store owns (timers, connections it opened). */
  close?(): Promise<void>;
}
