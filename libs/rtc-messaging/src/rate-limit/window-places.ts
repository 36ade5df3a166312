/**
 * The places of one key's window, in memory: how many calls count against the upstream's window
 * now, and when the next place frees.
 *
 * ## The bound
 * The upstream counts each call at some instant of its own choosing, but never before the call
 * was taken (the take comes before the request leaves) nor after it was answered (an answer means
 * the upstream is done with it). A call's place is held from its take until its answer plus the
 * window `W`, and a take is granted only while fewer than `L` places are held. Then no window of
 * length `W` at the upstream ever counts more than `L` calls, wherever between take and answer it
 * counts each one:
 *
 * Let calls `1..n` be counted in one window `[s, s + W)`, call `i` at `c_i`, so
 * `take_i ≤ c_i < s + W` and `answer_i ≥ c_i ≥ s`. Call `i`'s place is held over
 * `[take_i, answer_i + W)`, which contains `[take_i, s + W)`. Grants are decided one at a time, so
 * one of the `n` calls, `k`, was taken last: `take_j ≤ take_k < s + W` for every `j`. At `take_k`
 * each other call `j` was therefore held (`take_j ≤ take_k < s + W ≤ answer_j + W`): `n - 1`
 * places were held when `k` was granted, and a grant needs fewer than `L`, so `n - 1 < L`, i.e.
 * `n ≤ L`. ∎
 *
 * Nothing in it depends on how long a call takes, how the gateway queues, pauses or counts, or how
 * far apart the instances are: it needs no margin and no estimate. What it costs is each call's
 * round trip: a place serves one call per `W + rtt`, so the budget sustains `L × W / (W + rtt)`
 * calls per window (98% of the limit with a 20 ms round trip). And a whole window may go at once
 * from rest: nothing in the bound asks for the calls to be spread.
 *
 * A call that never answers (a timeout, a lost connection) is released when the caller gives up
 * on it: the release time plus `W` is later than its answer could have been, so the bound holds.
 * Until its release a place is held for `holdMs` from its take, which the budget sets to the
 * call's timeout plus the window (and a grace): a process that dies mid-call leaves places that
 * free when the call could no longer arrive, plus a window.
 *
 * ## The structures
 * Places in flight are a `Map` in take order; released places are a queue of hold-until times in
 * release order, which is hold-until order too (each is its release time plus the same `W`, by a
 * monotonic clock). Both expire from their front, so every operation is O(1) amortized.
 */
export class WindowPlaces {
  /** Places not yet released, by id: when each frees if it never is. */
  private readonly inFlight = new Map<string, number>();
  /** Released places' hold-until times, ascending, from `head` on. */
  private released: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  /** Places held at `now`. */
  held(now: number): number {
    this.expire(now);
    return this.inFlight.size + this.released.length - this.head;
  }

  /** Takes the place `id` at `now`, held until `now + holdMs` unless released. */
  take(id: string, now: number, holdMs: number): void {
    this.inFlight.set(id, now + holdMs);
  }

  /** The call of place `id` ended at `now`: it is held until `now + W`. */
  release(id: string, now: number): void {
    if (!this.inFlight.delete(id)) return;
    this.released.push(now + this.windowMs);
  }

  /**
   * The earliest a place may free, after `now`, given what is held: a released place frees at its
   * time; one in flight no sooner than one window from now (its answer is still to come).
   * `now` when nothing is held.
   */
  earliestFree(now: number): number {
    this.expire(now);
    let earliest = this.head < this.released.length ? this.released[this.head] : Infinity;
    for (const until of this.inFlight.values()) {
      // In take order: the first is the earliest to expire if never released (up to holdMs).
      earliest = Math.min(earliest, until, now + this.windowMs);
      break;
    }
    return earliest === Infinity ? now : earliest;
  }

  private expire(now: number): void {
    while (this.head < this.released.length && this.released[this.head] <= now) this.head++;
    if (this.head > 1_024 && this.head * 2 > this.released.length) {
      this.released = this.released.slice(this.head);
      this.head = 0;
    }
    // A place in flight past its hold: its call can no longer arrive, or its process is gone.
    for (const [id, until] of this.inFlight) {
      if (until > now) break;
      this.inFlight.delete(id);
    }
  }
}
