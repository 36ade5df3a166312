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
   */
  tryTake(key: string, rate: GcraRate): Promise<TakeResult>;

  /** Releases what the store owns (timers, connections it opened). */
  close?(): Promise<void>;
}
