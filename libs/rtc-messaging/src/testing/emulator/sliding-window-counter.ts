/** The last `limit` admitted timestamps of one key, oldest at `head` once the ring is full. */
interface Ring {
  readonly stamps: Float64Array;
  head: number;
  size: number;
}

/**
 * An exact sliding-window limiter: a call at time `t` is admitted unless `limit` calls were already
 * admitted in `(t - windowMs, t]`.
 *
 * A fixed window would let `2 × limit` calls through around a window edge; the gateway's
 * "N per second" is a ceiling for any second, so only an exact window catches a client that bursts
 * across the edge. Keeping the last `limit` admitted timestamps in a ring makes every check O(1):
 * when the ring is full, its oldest entry is the one that decides.
 */
export class SlidingWindowCounter {
  private readonly rings = new Map<string, Ring>();

  /**
   * @param limit calls admitted per window, at least 1.
   * @param windowMs window length in milliseconds.
   */
  constructor(
    readonly limit: number,
    readonly windowMs = 1000,
  ) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`SlidingWindowCounter: limit must be a positive integer, got ${limit}`);
    }
  }

  /**
   * Admits and counts a call for `key` at `now`, or refuses it without counting it (a refused
   * call does not push the window further out).
   */
  tryAcquire(key: string, now: number): boolean {
    let ring = this.rings.get(key);
    if (ring === undefined) {
      ring = { stamps: new Float64Array(this.limit), head: 0, size: 0 };
      this.rings.set(key, ring);
    }
    if (ring.size < this.limit) {
      ring.stamps[(ring.head + ring.size) % this.limit] = now;
      ring.size++;
      return true;
    }
    if (now - ring.stamps[ring.head] < this.windowMs) return false;
    ring.stamps[ring.head] = now;
    ring.head = (ring.head + 1) % this.limit;
    return true;
  }

  /** Forgets every key. */
  clear(): void {
    this.rings.clear();
  }
}
