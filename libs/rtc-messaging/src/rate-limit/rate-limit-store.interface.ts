/** What one `tryTake` decided. */
export type TakeResult =
  | { readonly granted: true }
  | {
      readonly granted: false;
      /** When the oldest unit in the window leaves it, in whole milliseconds from now (≥ 1). */
      readonly retryAfterMs: number;
    };

/**
 * Where a sliding-log rate limiter keeps its grants, so that one process (memory) or many
 * processes (Redis) can share a budget behind the same limiter. Shaped after `@nestjs/throttler`'s
 * `ThrottlerStorage` (one atomic call that counts and decides), but with an exact sliding window:
 * a fixed-window counter lets up to twice the limit through across a window edge, and the upstream
 * counts calls in any sliding second.
 */
export interface RateLimitStore {
  /**
   * Atomically takes one unit for `key` if fewer than `limit` units were taken in the last
   * `windowMs` milliseconds; otherwise takes nothing and says when the oldest unit leaves the
   * window. Rejects when the store cannot decide (e.g. Redis is unreachable).
   */
  tryTake(key: string, limit: number, windowMs: number): Promise<TakeResult>;

  /** Releases what the store owns (timers, connections it opened). */
  close?(): Promise<void>;
}
