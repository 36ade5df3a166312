/**
 * Who waits for a place. Interactive callers (a single send a user waits for) are served before
 * bulk callers (a fan-out recipient, a batch chunk): a user-facing message never queues behind a
 * campaign. Interactive callers wait at most their `maxWaitMs` and count against `maxQueued`;
 * bulk callers wait their turn however long it takes (or until their signal aborts): their callers
 * bound how many wait (a fan-out holds at most `concurrency`), so that is where the backpressure
 * lives, not in a refusal.
 */
export type BudgetPriority = 'interactive' | 'bulk';

/** One caller waiting for a place. */
export interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  /** An interactive waiter still waiting after this time fails; bulk: `Infinity`. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The callers waiting for one key, each class served in arrival order, interactive first. It
 * knows nothing of places or stores: it holds the waiters, hands the first its value, and fails
 * whoever must fail.
 */
export class WaiterQueue<T> {
  /** A `Set` keeps insertion order and deletes an aborted waiter in O(1). */
  private readonly interactive = new Set<Waiter<T>>();
  private readonly bulk = new Set<Waiter<T>>();
  /**
   * Whether the interactive deadlines grow with arrival order (the budget's own `maxWaitMs` for
   * all): then the head has the earliest deadline. A caller with a shorter wait of its own clears
   * it until the queue empties, and the checks walk the queue instead.
   */
  private deadlinesInOrder = true;
  private lastDeadline = -Infinity;

  /** Interactive callers waiting. */
  get interactiveSize(): number {
    return this.interactive.size;
  }

  /** Callers waiting, interactive and bulk. */
  get size(): number {
    return this.interactive.size + this.bulk.size;
  }

  /**
   * Adds a caller; its signal's abort rejects it with the signal's reason.
   * @param deadline `Infinity` for a bulk caller
   */
  add(
    priority: BudgetPriority,
    deadline: number,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
    signal?: AbortSignal,
  ): Waiter<T> {
    const waiter: Waiter<T> = { resolve, reject, deadline, signal };
    if (priority === 'bulk') {
      this.bulk.add(waiter);
    } else {
      if (deadline < this.lastDeadline) this.deadlinesInOrder = false;
      this.lastDeadline = Math.max(this.lastDeadline, deadline);
      this.interactive.add(waiter);
    }
    if (signal) {
      waiter.onAbort = () => this.fail(waiter, signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    return waiter;
  }

  /** Hands the first waiter (interactive before bulk) `value`; false when nobody waits. */
  grantFirst(value: T): boolean {
    const head = first(this.interactive) ?? first(this.bulk);
    if (!head) return false;
    this.remove(head);
    head.resolve(value);
    return true;
  }

  /** Rejects `waiter` with `error`, unless it was already settled. */
  fail(waiter: Waiter<T>, error: unknown): void {
    if (this.remove(waiter)) waiter.reject(error);
  }

  /** Rejects every interactive waiter with `error`. */
  failInteractive(error: unknown): void {
    for (const waiter of this.interactive) this.fail(waiter, error);
  }

  /** Rejects every waiter with `error`. */
  failAll(error: unknown): void {
    for (const waiter of [...this.interactive, ...this.bulk]) this.fail(waiter, error);
  }

  /**
   * Rejects the interactive waiters whose deadline is before `time`, with `errorFor(waiter)`.
   * In arrival order the deadlines usually grow, so it stops at the first that can wait.
   */
  failDeadlinesBefore(time: number, errorFor: (waiter: Waiter<T>) => unknown): void {
    for (const waiter of this.interactive) {
      if (waiter.deadline >= time) {
        if (this.deadlinesInOrder) return;
        continue;
      }
      this.fail(waiter, errorFor(waiter));
    }
  }

  /** The earliest deadline of the interactive waiters (`Infinity` when there are none). */
  earliestDeadline(): number {
    if (this.deadlinesInOrder) return first(this.interactive)?.deadline ?? Infinity;
    let earliest = Infinity;
    for (const waiter of this.interactive) earliest = Math.min(earliest, waiter.deadline);
    return earliest;
  }

  /** Takes `waiter` out; false when it was no longer there (already settled). */
  private remove(waiter: Waiter<T>): boolean {
    if (!this.interactive.delete(waiter) && !this.bulk.delete(waiter)) return false;
    if (this.interactive.size === 0) {
      this.deadlinesInOrder = true;
      this.lastDeadline = -Infinity;
    }
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    return true;
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}
