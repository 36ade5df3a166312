import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { TakeResult } from './rate-limit-store.interface';
import { STORE_ANSWER_GRACE_MS, STORE_RETRY_MS, StoreHealth } from './store-health';
import { BudgetPriority, WaiterQueue } from './waiter-queue';

/** A place in the upstream's window, granted to one call: release it when the call ends. */
export interface BudgetPlace {
  readonly key: string;
  readonly id: string;
  /** The store's time of the take (`TakeResult.takenAt`), when it dates releases from it. */
  readonly takenAt?: number;
  /** The budget's monotonic time when the take was sent to the store. */
  readonly sentAt?: number;
}

/**
 * Takes in flight per key at most. More keep a slow (remote) store from capping throughput at one
 * call per round trip; the cap bounds how many takes a burst can send to Redis at once. (The store
 * refuses the takes beyond the limit by itself, whatever arrives at once.)
 */
const MAX_TAKES_IN_FLIGHT = 32;

/**
 * Bulk takes of one key are spaced one window over the limit apart (500/s: 2 ms), with up to this
 * many at once to catch up after a late timer. Spread, a saturated budget's places free one by
 * one rather than all a window after a burst took them, so an interactive take finds a place at
 * once at any moment (see `bulkLimit`), not only when a wave of places frees. Interactive takes
 * are not spaced: a burst of single sends starts at once.
 */
const BULK_CATCH_UP = 10;

/** What the takes of every key share: the budget's settings and its other parts. */
export interface TakeSettings {
  /** The store to take from, and what its answers and failures mean. */
  readonly health: StoreHealth;
  readonly windowMs: number;
  /** How long a place is held if it is never released. */
  readonly holdMs: number;
  /** Monotonic time in ms. */
  readonly now: () => number;
  /** The places `key` may hold at `now`: the limit, or less while upstream 429s lower it. */
  limitAt(key: string, now: number): number;
  /** A place id, unique across the instances sharing the store. */
  newId(): string;
  /** Releases a place no caller will use. */
  release(place: BudgetPlace): void;
  /** `takes` of `key` have no caller waiting and no take in flight: they may be forgotten. */
  forget(key: string, takes: KeyTakes): void;
}

/**
 * The takes of one key: who waits (`WaiterQueue`), how many takes go to the store at once, when
 * the next may go, and the key's one timer. The store decides each take; this part only schedules
 * them and hands each granted place to the first caller waiting:
 *
 * - takes in flight grow by one per grant up to `MAX_TAKES_IN_FLIGHT` and fall to one on a
 *   refusal (like TCP slow start), so a slow store does not cap throughput at one call per round
 *   trip, and a full window does not flood it;
 * - a refusal says when a place may free: no take goes before then, and the key's timer is set
 *   for it (no polling); whoever cannot wait that long is told at once;
 * - interactive callers get a take each first; the rest are bulk takes, spaced (`BULK_CATCH_UP`);
 * - a store silent past `StoreHealth.silenceMs` has hung: its takes are given up on (their late
 *   grants are released), interactive callers fail, bulk callers ask again later.
 */
export class KeyTakes {
  readonly waiters = new WaiterQueue<BudgetPlace>();
  private takesInFlight = 0;
  /** Takes in flight for interactive callers: more interactive callers wait for bulk takes. */
  private interactiveTakes = 0;
  /** No bulk take before this time: bulk takes are spaced (see `BULK_CATCH_UP`). */
  private nextBulkAt = -Infinity;
  /** Takes allowed in flight: one after a refusal, one more per grant. */
  private window = 1;
  /** No take for an interactive caller before this time: the store said no place frees earlier. */
  private blockedUntil = -Infinity;
  /** No take for bulk callers before this time (it is at least `blockedUntil` in effect). */
  private bulkBlockedUntil = -Infinity;
  /** When a take went out with none in flight, or the store last answered one. */
  private lastStoreActivity = -Infinity;
  /** Bumped when the store's takes are given up on (it hung): their late answers are ignored. */
  private generation = 0;
  private timer?: NodeJS.Timeout;
  private timerAt = 0;
  private closed = false;

  constructor(
    private readonly key: string,
    private readonly settings: TakeSettings,
  ) {}

  /**
   * Why an interactive caller with `deadline` cannot wait, or `undefined` when it may: the queue
   * holds `maxQueued` interactive callers already, or no place frees before its deadline and the
   * takes in flight serve those ahead of it.
   */
  refusal(deadline: number, maxQueued: number, now: number): RtcRateLimitedError | undefined {
    if (this.waiters.interactiveSize >= maxQueued) {
      return new RtcRateLimitedError(this.retryAfterAt(now));
    }
    if (deadline < this.blockedUntil && this.takesInFlight <= this.waiters.interactiveSize) {
      return new RtcRateLimitedError(retryAfter(this.blockedUntil - now));
    }
    return undefined;
  }

  /** Queues a caller and starts the takes it allows; it settles with a place or an error. */
  wait(
    priority: BudgetPriority,
    deadline: number,
    resolve: (place: BudgetPlace) => void,
    reject: (error: unknown) => void,
    signal?: AbortSignal,
  ): void {
    this.waiters.add(priority, deadline, resolve, reject, signal);
    this.pump();
  }

  /** Fails every caller with `error` and stops the timer; late grants are released. */
  close(error: unknown): void {
    this.closed = true;
    this.disarm();
    this.waiters.failAll(error);
  }

  /** Starts as many takes as the waiters and the window allow, and sets the key's timer. */
  private pump(): void {
    if (this.closed) return;
    const now = this.settings.now();
    const { waiters } = this;
    if (now >= this.blockedUntil) {
      while (this.takesInFlight < this.window && this.takesInFlight < waiters.size) {
        // A take for each interactive caller first; the rest are bulk takes, which leave room
        // to interactive ones, wait out the store's bulk refusals, and are spaced.
        const bulk = this.interactiveTakes >= waiters.interactiveSize;
        if (bulk && (now < this.bulkBlockedUntil || now < this.nextBulkAt)) break;
        this.take(now, bulk);
      }
    }
    if (waiters.size === 0 && this.takesInFlight === 0) {
      this.disarm();
      this.settings.forget(this.key, this);
      return;
    }
    // One timer for whatever comes first: the next take the store or the spacing allows, the
    // head's deadline, or the moment silence from the store means it hung. (+1: these fail
    // strictly after the time.)
    const bulkNext = this.interactiveTakes >= waiters.interactiveSize;
    const wakeAt = bulkNext
      ? Math.max(this.blockedUntil, this.bulkBlockedUntil, this.nextBulkAt)
      : this.blockedUntil;
    let at = waiters.size > this.takesInFlight && now < wakeAt ? wakeAt : Infinity;
    if (this.takesInFlight > 0) {
      at = Math.min(at, this.lastStoreActivity + this.settings.health.silenceMs + 1);
    }
    const deadline = waiters.earliestDeadline();
    if (deadline < Infinity) {
      at = Math.min(
        at,
        this.takesInFlight > 0 ? deadline + STORE_ANSWER_GRACE_MS + 1 : deadline + 1,
      );
    }
    if (at < Infinity) this.arm(at, now);
    else this.disarm();
  }

  /** One take; its place goes to whoever is first when it is granted. */
  private take(now: number, bulk: boolean): void {
    const { key, settings } = this;
    if (this.takesInFlight === 0) this.lastStoreActivity = now;
    this.takesInFlight++;
    const limit = settings.limitAt(key, now);
    if (bulk) {
      const interval = settings.windowMs / limit;
      this.nextBulkAt = Math.max(this.nextBulkAt, now - BULK_CATCH_UP * interval) + interval;
    } else {
      this.interactiveTakes++;
    }
    const id = settings.newId();
    const generation = this.generation;
    // When the take leaves, for dating its release (see `release-dating.ts`): `now` was read
    // before this take, in the same turn.
    const sentAt = now;
    settings.health.store.tryTake(key, id, limit, settings.holdMs, bulk).then(
      (result) => {
        if (generation === this.generation && !this.closed) {
          if (!bulk) this.interactiveTakes--;
          this.onTaken(bulk, { key, id, sentAt }, result);
        } else if (result.granted) {
          // Given up on, or closed meanwhile: nobody will use the place.
          settings.release({ key, id });
        }
      },
      (error: unknown) => {
        // A take that timed out may still have landed: its place would be held, unused, for
        // the whole hold. Released, it frees a window from now (a no-op if it never landed).
        settings.release({ key, id });
        if (generation !== this.generation) return;
        if (!bulk) this.interactiveTakes--;
        this.onStoreError(error);
      },
    );
  }

  private onTaken(bulk: boolean, place: BudgetPlace, result: TakeResult): void {
    this.takesInFlight--;
    const now = this.settings.now();
    this.lastStoreActivity = now;
    this.settings.health.answered();
    if (result.granted) {
      this.window = Math.min(MAX_TAKES_IN_FLIGHT, this.window + 1);
      // A place is not tied to the caller whose turn started the take: the first caller gets it,
      // which keeps the order even when a caller in between was aborted.
      const granted = result.takenAt === undefined ? place : { ...place, takenAt: result.takenAt };
      if (!this.waiters.grantFirst(granted)) this.settings.release(granted);
    } else {
      this.window = 1;
      // The store's answer drives the key's timer: no place frees earlier.
      const until = now + result.retryAfterMs;
      if (bulk) this.bulkBlockedUntil = Math.max(this.bulkBlockedUntil, until);
      else this.blockedUntil = Math.max(this.blockedUntil, until);
      // With no take left in flight, whoever cannot wait that long is told now.
      if (this.takesInFlight === 0 && now < this.blockedUntil) {
        const error = new RtcRateLimitedError(retryAfter(this.blockedUntil - now));
        this.waiters.failDeadlinesBefore(this.blockedUntil, () => error);
      }
    }
    this.pump();
  }

  private onStoreError(error: unknown): void {
    this.takesInFlight--;
    if (this.closed) return;
    const now = this.settings.now();
    this.lastStoreActivity = now;
    this.settings.health.failed(error);
    this.storeFailed(now, error, 'the rate-limit store failed');
    this.pump();
  }

  /**
   * The store cannot decide for the key. It serves every caller alike, so the interactive callers
   * all fail now rather than one by one; bulk callers stay, and the store is asked again later.
   */
  private storeFailed(now: number, cause: unknown, message: string): void {
    this.waiters.failInteractive(
      new RtcBudgetUnavailableError(message, cause === undefined ? undefined : { cause }),
    );
    this.bulkBlockedUntil = Math.max(this.bulkBlockedUntil, now + STORE_RETRY_MS);
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.settings.now();
    if (this.takesInFlight > 0 && this.settings.health.hungAt(this.lastStoreActivity, now)) {
      // The store hung: its takes will never answer (or too late to matter); ask it anew later.
      this.generation++;
      this.takesInFlight = 0;
      this.interactiveTakes = 0;
      this.window = 1;
      this.storeFailed(now, undefined, 'the rate-limit store did not answer');
    }
    if (this.takesInFlight === 0) {
      // Nothing in flight can serve them now: their turn is at least the store's time away.
      this.waiters.failDeadlinesBefore(now, () => new RtcRateLimitedError(this.retryAfterAt(now)));
    } else {
      this.waiters.failDeadlinesBefore(
        now - STORE_ANSWER_GRACE_MS,
        () => new RtcBudgetUnavailableError('the rate-limit store did not answer'),
      );
    }
    this.pump();
  }

  /** Sets the key's one timer for `at`, unless it is already set for then. */
  private arm(at: number, now: number): void {
    if (this.timer && this.timerAt === at) return;
    this.disarm();
    this.timerAt = at;
    // At least 1 ms, so a timer firing a little early cannot spin.
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, Math.ceil(at - now)));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * When a caller refused now may retry: when the store said a place may free, or else one
   * window, by which the places held now have all been released or are about to be.
   */
  private retryAfterAt(now: number): number {
    return retryAfter(now < this.blockedUntil ? this.blockedUntil - now : this.settings.windowMs);
  }
}

/** Whole milliseconds, at least one: `RtcRateLimitedError.retryAfterMs` is a time to wait. */
function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
