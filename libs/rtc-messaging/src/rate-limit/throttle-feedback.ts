/**
 * How fast a lowered limit regrows: by `REGROWTH × limit × s²` after `s` seconds without a 429,
 * so 1% of the limit after one second, 9% after three, 49% after seven. Slow right after a cut,
 * where the limit was just found too high (instances sharing an AppId then hover near their share
 * with about 2% of their calls throttled, not a storm), and faster the longer no 429 comes, so a
 * neighbour that stopped spending the AppId gives it back within seconds.
 */
export const REGROWTH = 0.01;

/**
 * The 429 rule: the upstream throttled calls although the budget held its limit, so someone else
 * spends the same AppId (another service, a module without the shared store). Each throttled call
 * takes one place from the places this instance may hold: a window's throttled calls are the
 * window's overrun, so the cut is in proportion to it, and instances sharing an AppId, each
 * cutting by its own 429s, together cut by exactly the overrun. The limit then regrows (see
 * `REGROWTH`) back to the configured one. Nothing is held at a fixed value for a fixed time: one
 * 429 costs one place for a fraction of a second; a neighbour that spends half the AppId brings
 * this instance down to the other half, and keeps it there only while its 429s keep coming.
 */
export class ThrottleFeedback {
  /** The limit right after the last throttled call. */
  private lowered: number;
  private loweredAt = -Infinity;

  /** @param limit the configured limit: places per window */
  constructor(private readonly limit: number) {
    this.lowered = limit;
  }

  /** The limit in force at `now` (ms): a whole number of places, at least 1. */
  limitAt(now: number): number {
    return Math.max(1, Math.floor(this.exactAt(now)));
  }

  /** Whether the limit has regrown to the configured one (the rule can be forgotten). */
  recoveredAt(now: number): boolean {
    return this.exactAt(now) >= this.limit;
  }

  /** The upstream throttled one call at `now` (ms). */
  throttled(now: number): void {
    this.lowered = Math.max(1, this.exactAt(now) - 1);
    this.loweredAt = now;
  }

  private exactAt(now: number): number {
    const seconds = (now - this.loweredAt) / 1_000;
    return Math.min(this.limit, this.lowered + REGROWTH * this.limit * seconds * seconds);
  }
}
