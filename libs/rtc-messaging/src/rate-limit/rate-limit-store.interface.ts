/** What one `tryTake` decided. */
export type TakeResult =
  | {
      readonly granted: true;
      /**
       * The store's time of the take, in ms by its own clock, for a store that dates a release
       * from it (`ReleaseOptions.answeredBy`, see `release-dating.ts`); absent from a store that
       * dates releases by its own clock on arrival at no cost (memory).
       */
      readonly takenAt?: number;
    }
  | {
      readonly granted: false;
      /**
       * When a place may free, in whole milliseconds from now (≥ 1, rounded up): a lower bound,
       * at most one window, since a place still in flight frees no sooner than its answer plus
       * the window.
       */
      readonly retryAfterMs: number;
    };

/** How a release is dated (see `release-dating.ts`). */
export interface ReleaseOptions {
  /**
   * A time by the store's clock, from the take's `takenAt`, no earlier than the call's answer:
   * the place is held until the earlier of it and the store's time on arrival, plus the window,
   * so a release that reaches the store late does not hold the place longer. A store without
   * `takenAt` ignores it.
   */
  readonly answeredBy?: number;
  /**
   * A retry of a release that may already have landed: it only ever brings the place's hold
   * earlier, never later (a first release may also lengthen a hold its call outran).
   */
  readonly onlyEarlier?: boolean;
}

/**
 * Where the budget keeps the places of the upstream's window, so that one process (memory) or
 * many processes (Redis) share them behind the same budget. Shaped after `@nestjs/throttler`'s
 * `ThrottlerStorage` (one atomic call that counts and decides), but holding each call's place from
 * its take until its answer plus the window, rather than counting takes:
 *
 * - `tryTake` grants a place when fewer than `limit` are held now, and holds it for `holdMs` (the
 *   latest the call can still reach the upstream, plus the window) unless it is released first;
 * - `release` says the call has ended (answered, failed or given up): its place is held for one
 *   window more from now, then frees.
 *
 * Why this keeps the upstream to its limit, whenever it counts a call, is proved beside
 * `WindowPlaces` (see `window-places.ts`). Every time is the store's own clock: a take and its
 * release are both dated by the store, never by the instance that asks.
 */
export interface RateLimitStore {
  /**
   * Atomically takes the place `id` for `key` if fewer than `limit` places are held now (a bulk
   * take: fewer than `bulkLimit(limit, interactive)`); otherwise takes nothing and says when one
   * may free. Rejects when the store cannot decide (e.g. Redis is unreachable), or with a
   * `RangeError` for arguments it cannot honour.
   * @param id unique among the places of `key` held now (the budget makes it)
   * @param limit places that may be held at once, a whole number ≥ 0 (0 grants nothing)
   * @param holdMs how long the place is held if it is never released, from the take, in ms
   * @param bulk a bulk caller's take, which leaves room for interactive ones (see `bulkLimit`)
   */
  tryTake(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk?: boolean,
  ): Promise<TakeResult>;

  /**
   * Holds the place `id` of `key` for one window from when its call ended, instead of its
   * `holdMs`: from now, or from `options.answeredBy` when that is earlier. Releasing a place that
   * is no longer held does nothing.
   */
  release(key: string, id: string, options?: ReleaseOptions): Promise<void>;

  /** Releases what the store owns (timers, connections it opened). */
  close?(): Promise<void>;
}

/** The upstream's window, in ms: it counts calls in any sliding second (Volcengine docs 6348/142118). */
export const UPSTREAM_WINDOW_MS = 1_000;

/**
 * The places bulk takes may fill, out of `limit`, while `interactive` places of interactive
 * callers are held: one fewer than the limit (but at least one), and as many fewer again as interactive places are
 * held. So an interactive take always finds a place, and finds as many as interactive callers
 * took in the last window even when the places of a burst all free at once a window later and
 * none frees in between (the windows of a saturated budget come in waves): single sends at a
 * steady rate never wait behind bulk work, on any instance sharing the store. Bulk work loses
 * those places only while interactive callers use them.
 */
export function bulkLimit(limit: number, interactive: number): number {
  // With one place (or none) there is nothing to leave: precedence then holds per instance only.
  return limit <= 1 ? limit : Math.max(1, limit - 1 - interactive);
}

/** Checks `tryTake`'s numbers the same way for every store. */
export function assertTakeArguments(limit: number, holdMs: number, windowMs: number): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
  }
  if (!(Number.isFinite(holdMs) && holdMs >= windowMs)) {
    throw new RangeError(
      `holdMs must be a finite number ≥ the window (${windowMs} ms), got ${holdMs}`,
    );
  }
}
