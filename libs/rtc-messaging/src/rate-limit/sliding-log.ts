/**
 * The grant times of one key inside its window, oldest first, in a ring buffer of `limit` slots:
 * a full log refuses, so it never needs more, whatever the call rate.
 */
export class SlidingLog {
  private times: Float64Array;
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
  }

  /** Slots in the log, i.e. the limit it was sized for. */
  get capacity(): number {
    return this.times.length;
  }

  /** Grants still in the window. */
  get length(): number {
    return this.size;
  }

  /** Time of the oldest grant still logged; only meaningful when `length > 0`. */
  get oldest(): number {
    return this.times[this.head];
  }

  /** Time of the newest grant logged; only meaningful when `length > 0`. */
  get newest(): number {
    return this.times[(this.head + this.size - 1) % this.times.length];
  }

  /** Drops grants made at or before `now - windowMs`: a grant counts for exactly `windowMs`. */
  evict(now: number, windowMs: number): void {
    while (this.size > 0 && this.times[this.head] + windowMs <= now) {
      this.head = (this.head + 1) % this.times.length;
      this.size--;
    }
  }

  /** Logs a grant at `time`; the caller has checked `length < capacity`. */
  push(time: number): void {
    this.times[(this.head + this.size) % this.times.length] = time;
    this.size++;
  }

  /**
   * Re-sizes the log for a new limit, keeping the newest grants: a lower limit then refuses until
   * enough of them age out, as it would had it always been in force.
   */
  resize(capacity: number): void {
    const keep = Math.min(this.size, capacity);
    const times = new Float64Array(capacity);
    for (let i = 0; i < keep; i++) {
      times[i] = this.times[(this.head + this.size - keep + i) % this.times.length];
    }
    this.times = times;
    this.head = 0;
    this.size = keep;
  }
}
