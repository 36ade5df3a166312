import { randomBytes } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';
import { RtcBudgetUnavailableError, redactSecrets } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import {
  AcquireOptions,
  CALL_BUDGET_DEFAULTS,
  CallBudgetOptions,
  validateCallBudgetOptions,
} from './call-budget.options';
import { FallbackRateLimitStore } from './fallback-rate-limit.store';
import { RateLimitStore, TakeResult, UPSTREAM_WINDOW_MS } from './rate-limit-store.interface';
import { answeredBy } from './release-dating';
import { ThrottleFeedback } from './throttle-feedback';
import { WaiterQueue } from './waiter-queue';

export { AcquireOptions, CALL_BUDGET_DEFAULTS, CallBudgetOptions } from './call-budget.options';

/** Which store keeps the places: the shared one, the local fallback, or none (calls fail closed). */
export type BudgetStoreState = 'shared' | 'local' | 'unavailable';

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
 * Added to a place's hold beyond the call's timeout and the window, should it never be released
 * (its process died): the timeout runs from when the request leaves, a little after the take.
 */
const HOLD_GRACE_MS = 1_000;

/**
 * Takes in flight per key at most. More keep a slow (remote) store from capping throughput at one
 * call per round trip; the cap bounds how many takes a burst can send to Redis at once. (The store
 * refuses the takes beyond the limit by itself, whatever arrives at once.)
 */
const MAX_TAKES_IN_FLIGHT = 32;

/**
 * `maxWaitMs` bounds the wait for a place, judged on the store's answers; the store's own latency
 * comes on top (Redis answers or fails within its timeout). A store still silent this long after a
 * caller's deadline is taken as hung, so that a broken custom store cannot hold callers forever.
 * Shutdown waits this long at most for releases still on their way to the store.
 */
const STORE_ANSWER_GRACE_MS = 1_000;

/**
 * Bulk takes of one key are spaced one window over the limit apart (500/s: 2 ms), with up to this
 * many at once to catch up after a late timer. Spread, a saturated budget's places free one by
 * one rather than all a window after a burst took them, so an interactive take finds a place at
 * once at any moment (see `bulkLimit`), not only when a wave of places frees. Interactive takes
 * are not spaced: a burst of single sends starts at once.
 */
const BULK_CATCH_UP = 10;

/**
 * When a release the store failed (a Redis blip) is tried again, in ms after each failure. A
 * release that never gets through holds its place for the call's whole timeout and more, a
 * place lost for seconds per failed release; a retry is dated later, which only holds the place
 * a little longer.
 */
const RELEASE_RETRIES_MS = [100, 400];

/** How soon bulk callers ask a store that failed (or hung) again, in ms. */
const STORE_RETRY_MS = 1_000;

/** The key `probeStore` takes from: neither `appId:` nor `account:`, so no call's key. */
export const STORE_PROBE_KEY = 'health-probe';

/** What the budget keeps per key while anyone waits or a take is on its way to the store. */
interface KeyState {
  readonly waiters: WaiterQueue<BudgetPlace>;
  takesInFlight: number;
  /** Takes in flight for interactive callers: more interactive callers wait for bulk takes. */
  interactiveTakes: number;
  /** No bulk take before this time: bulk takes are spaced (see `BULK_CATCH_UP`). */
  nextBulkAt: number;
  /** Takes allowed in flight: one after a refusal, one more per grant (like TCP slow start). */
  window: number;
  /** No take for an interactive caller before this time: the store said no place frees earlier. */
  blockedUntil: number;
  /** No take for bulk callers before this time (it is at least `blockedUntil` in effect). */
  bulkBlockedUntil: number;
  /** When a take went out with none in flight, or the store last answered one. */
  lastStoreActivity: number;
  /** Bumped when the store's takes are given up on (it hung): their late answers are ignored. */
  generation: number;
  timer?: NodeJS.Timeout;
  timerAt: number;
}

/**
 * Holds the upstream to its limit by giving each call a place in the window from its take until
 * its answer plus the window (see `WindowPlaces` for why that bound holds wherever the upstream
 * counts a call): `acquire` resolves with a place once one is free, and `release` ends it when the
 * call ends. A whole window's places may go at once from rest: a burst starts at once.
 *
 * When every place is held, callers wait (`WaiterQueue`), interactive callers before bulk ones,
 * woken by one timer per key set for when the store says a place may free (no polling). An
 * interactive caller that cannot be served by its deadline fails with `RtcRateLimitedError` saying
 * when to retry; one that finds `maxQueued` interactive callers already waiting fails at once. A
 * bulk caller is never refused for time: it waits, and it outlives a failing store, which it asks
 * again every second. Bulk takes leave room to interactive ones (see `bulkLimit`), on every
 * instance sharing the store, so single sends find a place while bulk work saturates the limit.
 *
 * An upstream 429 lowers the key's limit in proportion (`ThrottleFeedback`).
 *
 * The store decides; with a Redis store, every instance sharing it shares the places. The budget
 * closes the store when it closes (a Redis store leaves a client you gave it open).
 */
export class CallBudget implements OnApplicationShutdown {
  private readonly limit: number;
  private readonly maxWaitMs: number;
  private readonly maxQueued: number;
  private readonly windowMs: number;
  /** How long a place is held if it is never released. */
  private readonly holdMs: number;
  /** Takes in flight with no answer for longer than this mean the store hung. */
  private readonly storeSilenceMs: number;
  private readonly failClosed: boolean;
  /** The store as given; `store` is the fallback around it when there is one. */
  private readonly given: RateLimitStore;
  private readonly store: RateLimitStore;
  private readonly now: () => number;
  private readonly onStoreStateChange?: (state: BudgetStoreState, error?: unknown) => void;
  private readonly keys = new Map<string, KeyState>();
  /** Keys whose limit an upstream 429 lowered, until it has regrown. */
  private readonly feedback = new Map<string, ThrottleFeedback>();
  /** Releases on their way to the store, for shutdown to wait for. */
  private readonly releasing = new Set<Promise<void>>();
  /** Place ids: unique per budget, and across instances by a random prefix. */
  private readonly idPrefix = `${randomBytes(6).toString('base64url')}:`;
  private nextId = 0;
  private state: BudgetStoreState = 'shared';
  private closed = false;

  constructor(store: RateLimitStore, options: CallBudgetOptions = {}) {
    const o = {
      perSecond: options.perSecond ?? CALL_BUDGET_DEFAULTS.perSecond,
      maxWaitMs: options.maxWaitMs ?? CALL_BUDGET_DEFAULTS.maxWaitMs,
      maxQueued: options.maxQueued ?? CALL_BUDGET_DEFAULTS.maxQueued,
      callTimeoutMs: options.callTimeoutMs ?? CALL_BUDGET_DEFAULTS.callTimeoutMs,
      onStoreError: options.onStoreError ?? CALL_BUDGET_DEFAULTS.onStoreError,
      instances: options.onStoreError === 'local' ? options.instances : undefined,
      probeIntervalMs: options.onStoreError === 'local' ? options.probeIntervalMs : undefined,
    };
    const problems = validateCallBudgetOptions(o);
    if (problems.length > 0) throw new RtcConfigurationError(problems);

    this.limit = o.perSecond;
    this.maxWaitMs = o.maxWaitMs;
    this.maxQueued = o.maxQueued;
    this.windowMs = options.windowMs ?? UPSTREAM_WINDOW_MS;
    this.holdMs = o.callTimeoutMs + this.windowMs + HOLD_GRACE_MS;
    this.storeSilenceMs = o.maxWaitMs + STORE_ANSWER_GRACE_MS;
    this.now = options.now ?? (() => performance.now());
    this.onStoreStateChange = options.onStoreStateChange;
    this.failClosed = o.onStoreError !== 'local';
    this.given = store;
    this.store =
      options.onStoreError === 'local'
        ? new FallbackRateLimitStore(store, {
            instances: options.instances,
            probeIntervalMs: options.probeIntervalMs,
            now: this.now,
            windowMs: this.windowMs,
            onStateChange: (state, error) => this.setState(state, error),
          })
        : store;
  }

  /** Which store keeps the places now. */
  get storeState(): BudgetStoreState {
    return this.state;
  }

  /** Callers of `key` waiting (or being granted) right now, interactive and bulk. */
  queued(key: string): number {
    return this.keys.get(key)?.waiters.size ?? 0;
  }

  /** The places `key` may hold now: `perSecond`, or less while upstream 429s lower it. */
  limitOf(key: string): number {
    return this.limitAt(key, this.now());
  }

  /**
   * Resolves with a place when one call for `key` may go out; `release` it when the call ends. An
   * interactive caller (the default) rejects with `RtcRateLimitedError` when it cannot go within
   * its `maxWaitMs` or `maxQueued` interactive callers already wait, and with
   * `RtcBudgetUnavailableError` when the store fails and the budget fails closed. A bulk caller
   * waits for its turn. Both reject with `RtcBudgetUnavailableError` once the budget is closed,
   * and with the signal's reason when aborted.
   */
  acquire(key: string, options: AcquireOptions = {}): Promise<BudgetPlace> {
    const { signal, priority = 'interactive', maxWaitMs = this.maxWaitMs } = options;
    if (this.closed) return Promise.reject(new RtcBudgetUnavailableError('the budget is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);

    const bulk = priority === 'bulk';
    const now = this.now();
    const deadline = bulk ? Infinity : now + maxWaitMs;
    const existing = this.keys.get(key);
    if (existing && !bulk) {
      const { waiters } = existing;
      if (waiters.interactiveSize >= this.maxQueued) {
        return Promise.reject(new RtcRateLimitedError(this.retryAfterFor(existing, now)));
      }
      // No place frees before the store said, and the takes in flight serve those ahead.
      if (deadline < existing.blockedUntil && existing.takesInFlight <= waiters.interactiveSize) {
        return Promise.reject(new RtcRateLimitedError(retryAfter(existing.blockedUntil - now)));
      }
    }
    const state = existing ?? this.stateOf(key);
    return new Promise<BudgetPlace>((resolve, reject) => {
      state.waiters.add(priority, deadline, resolve, reject, signal);
      this.pump(key, state);
    });
  }

  /**
   * The call of `place` ended (answered, failed, or given up on): its place is held one window
   * more, then frees. `throttled`: the upstream answered 429, which lowers the key's limit (see
   * `ThrottleFeedback`). A release the store fails to record is tried again (see
   * `RELEASE_RETRIES_MS`); one that never gets through leaves the place held until its hold
   * passes: later than needed, never earlier.
   */
  release(place: BudgetPlace, throttled = false): void {
    const now = this.now();
    if (throttled) {
      let feedback = this.feedback.get(place.key);
      if (!feedback) this.feedback.set(place.key, (feedback = new ThrottleFeedback(this.limit)));
      feedback.throttled(now);
    }
    // Dated now, when the answer is seen, not when the release reaches the store (see
    // `release-dating.ts`): every try of it carries the same dating.
    const { takenAt, sentAt } = place;
    const dating =
      takenAt === undefined || sentAt === undefined ? undefined : answeredBy(takenAt, sentAt, now);
    const released = this.releaseWithRetries(place, dating);
    this.releasing.add(released);
    void released.finally(() => this.releasing.delete(released));
  }

  /**
   * Whether the store answers now: one take of a key no call uses (`STORE_PROBE_KEY`), so no
   * call's place is taken; it frees after one window. The state above only changes when a call
   * asks the store, which a readiness probe cannot wait for. Bounded by the store's own timeout (a
   * Redis store: 250 ms, and at once while its connection is down). Rejects with the store's
   * error, secrets redacted.
   */
  async probeStore(): Promise<void> {
    try {
      await this.given.tryTake(
        STORE_PROBE_KEY,
        this.newId(),
        Number.MAX_SAFE_INTEGER,
        this.windowMs,
      );
    } catch (error) {
      throw redactSecrets(error);
    }
  }

  /**
   * Rejects every waiting caller with `RtcBudgetUnavailableError`, stops all timers, waits (a
   * second at most) for the releases on their way to the store, and closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new RtcBudgetUnavailableError('the budget is closed');
    for (const state of this.keys.values()) {
      this.disarm(state);
      state.waiters.failAll(error);
    }
    this.keys.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.releasing),
      new Promise((resolve) => (timer = setTimeout(resolve, STORE_ANSWER_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (this.store !== this.given) await this.store.close?.();
    await this.given.close?.();
  }

  /** Closes the budget when the application shuts down (after the dispatcher's drain). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Releases `place`, again after each failure but the last; never rejects. */
  private async releaseWithRetries(place: BudgetPlace, dating?: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        // A retry only brings the hold earlier: the failed try may have landed after all.
        return await this.store.release(place.key, place.id, {
          answeredBy: dating,
          onlyEarlier: attempt > 0,
        });
      } catch {
        // Later is safe (the place is then held until later); closed, nobody takes places.
        const delay = RELEASE_RETRIES_MS[attempt];
        if (delay === undefined || this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private stateOf(key: string): KeyState {
    const state: KeyState = {
      waiters: new WaiterQueue<BudgetPlace>(),
      takesInFlight: 0,
      interactiveTakes: 0,
      nextBulkAt: -Infinity,
      window: 1,
      blockedUntil: -Infinity,
      bulkBlockedUntil: -Infinity,
      lastStoreActivity: -Infinity,
      generation: 0,
      timerAt: 0,
    };
    this.keys.set(key, state);
    return state;
  }

  /** Starts as many takes as the waiters and the window allow, and sets the key's timer. */
  private pump(key: string, state: KeyState): void {
    if (this.closed) return;
    const now = this.now();
    const { waiters } = state;
    if (now >= state.blockedUntil) {
      while (state.takesInFlight < state.window && state.takesInFlight < waiters.size) {
        // A take for each interactive caller first; the rest are bulk takes, which leave room
        // to interactive ones, wait out the store's bulk refusals, and are spaced.
        const bulk = state.interactiveTakes >= waiters.interactiveSize;
        if (bulk && (now < state.bulkBlockedUntil || now < state.nextBulkAt)) break;
        this.take(key, state, now, bulk);
      }
    }
    if (waiters.size === 0 && state.takesInFlight === 0) {
      this.disarm(state);
      this.keys.delete(key);
      return;
    }
    // One timer for whatever comes first: the next take the store or the spacing allows, the
    // head's deadline, or the moment silence from the store means it hung. (+1: these fail
    // strictly after the time.)
    const bulkNext = state.interactiveTakes >= waiters.interactiveSize;
    const wakeAt = bulkNext
      ? Math.max(state.blockedUntil, state.bulkBlockedUntil, state.nextBulkAt)
      : state.blockedUntil;
    let at = waiters.size > state.takesInFlight && now < wakeAt ? wakeAt : Infinity;
    if (state.takesInFlight > 0) {
      at = Math.min(at, state.lastStoreActivity + this.storeSilenceMs + 1);
    }
    const deadline = waiters.earliestDeadline();
    if (deadline < Infinity) {
      at = Math.min(
        at,
        state.takesInFlight > 0 ? deadline + STORE_ANSWER_GRACE_MS + 1 : deadline + 1,
      );
    }
    if (at < Infinity) this.arm(key, state, at, now);
    else this.disarm(state);
  }

  /** One take; its place goes to whoever is first when it is granted. */
  private take(key: string, state: KeyState, now: number, bulk: boolean): void {
    if (state.takesInFlight === 0) state.lastStoreActivity = now;
    state.takesInFlight++;
    const limit = this.limitAt(key, now);
    if (bulk) {
      const interval = this.windowMs / limit;
      state.nextBulkAt = Math.max(state.nextBulkAt, now - BULK_CATCH_UP * interval) + interval;
    } else {
      state.interactiveTakes++;
    }
    const id = this.newId();
    const generation = state.generation;
    // When the take leaves, for dating its release (see `release-dating.ts`): `now` was read
    // before this take, in the same turn.
    const sentAt = now;
    this.store.tryTake(key, id, limit, this.holdMs, bulk).then(
      (result) => {
        if (generation === state.generation && !this.closed) {
          if (!bulk) state.interactiveTakes--;
          this.onTaken(key, state, bulk, { key, id, sentAt }, result);
        } else if (result.granted) {
          // Given up on, or closed meanwhile: nobody will use the place.
          this.release({ key, id });
        }
      },
      (error: unknown) => {
        // A take that timed out may still have landed: its place would be held, unused, for
        // the whole hold. Released, it frees a window from now (a no-op if it never landed).
        this.release({ key, id });
        if (generation !== state.generation) return;
        if (!bulk) state.interactiveTakes--;
        this.onStoreError(key, state, error);
      },
    );
  }

  private onTaken(
    key: string,
    state: KeyState,
    bulk: boolean,
    place: BudgetPlace,
    result: TakeResult,
  ): void {
    state.takesInFlight--;
    const now = this.now();
    state.lastStoreActivity = now;
    if (this.failClosed) this.setState('shared');
    if (result.granted) {
      state.window = Math.min(MAX_TAKES_IN_FLIGHT, state.window + 1);
      // A place is not tied to the caller whose turn started the take: the first caller gets it,
      // which keeps the order even when a caller in between was aborted.
      const granted = result.takenAt === undefined ? place : { ...place, takenAt: result.takenAt };
      if (!state.waiters.grantFirst(granted)) this.release(granted);
    } else {
      state.window = 1;
      // The store's answer drives the key's timer: no place frees earlier.
      const until = now + result.retryAfterMs;
      if (bulk) state.bulkBlockedUntil = Math.max(state.bulkBlockedUntil, until);
      else state.blockedUntil = Math.max(state.blockedUntil, until);
      // With no take left in flight, whoever cannot wait that long is told now.
      if (state.takesInFlight === 0 && now < state.blockedUntil) {
        const error = new RtcRateLimitedError(retryAfter(state.blockedUntil - now));
        state.waiters.failDeadlinesBefore(state.blockedUntil, () => error);
      }
    }
    this.pump(key, state);
  }

  private onStoreError(key: string, state: KeyState, error: unknown): void {
    state.takesInFlight--;
    if (this.closed) return;
    const now = this.now();
    state.lastStoreActivity = now;
    this.setState('unavailable', error);
    this.storeFailed(state, now, error, 'the rate-limit store failed');
    this.pump(key, state);
  }

  /**
   * The store cannot decide for the key. It serves every caller alike, so the interactive callers
   * all fail now rather than one by one; bulk callers stay, and the store is asked again later.
   */
  private storeFailed(state: KeyState, now: number, cause: unknown, message: string): void {
    state.waiters.failInteractive(
      new RtcBudgetUnavailableError(message, cause === undefined ? undefined : { cause }),
    );
    state.bulkBlockedUntil = Math.max(state.bulkBlockedUntil, now + STORE_RETRY_MS);
  }

  private onTimer(key: string, state: KeyState): void {
    state.timer = undefined;
    const now = this.now();
    if (state.takesInFlight > 0 && now - state.lastStoreActivity > this.storeSilenceMs) {
      // The store hung: its takes will never answer (or too late to matter); ask it anew later.
      state.generation++;
      state.takesInFlight = 0;
      state.interactiveTakes = 0;
      state.window = 1;
      this.storeFailed(state, now, undefined, 'the rate-limit store did not answer');
    }
    if (state.takesInFlight === 0) {
      // Nothing in flight can serve them now: their turn is at least the store's time away.
      state.waiters.failDeadlinesBefore(
        now,
        () => new RtcRateLimitedError(this.retryAfterFor(state, now)),
      );
    } else {
      state.waiters.failDeadlinesBefore(
        now - STORE_ANSWER_GRACE_MS,
        () => new RtcBudgetUnavailableError('the rate-limit store did not answer'),
      );
    }
    this.pump(key, state);
  }

  /** Sets the key's one timer for `at`, unless it is already set for then. */
  private arm(key: string, state: KeyState, at: number, now: number): void {
    if (state.timer && state.timerAt === at) return;
    this.disarm(state);
    state.timerAt = at;
    // At least 1 ms, so a timer firing a little early cannot spin.
    state.timer = setTimeout(() => this.onTimer(key, state), Math.max(1, Math.ceil(at - now)));
  }

  private disarm(state: KeyState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
  }

  /** The places `key` may hold at `now`, forgetting a lowered limit once it has regrown. */
  private limitAt(key: string, now: number): number {
    const feedback = this.feedback.get(key);
    if (!feedback) return this.limit;
    if (feedback.recoveredAt(now)) {
      this.feedback.delete(key);
      return this.limit;
    }
    return feedback.limitAt(now);
  }

  /**
   * When a caller refused now may retry: when the store said a place may free, or else one
   * window, by which the places held now have all been released or are about to be.
   */
  private retryAfterFor(state: KeyState, now: number): number {
    return retryAfter(now < state.blockedUntil ? state.blockedUntil - now : this.windowMs);
  }

  private newId(): string {
    return `${this.idPrefix}${(this.nextId++).toString(36)}`;
  }

  private setState(state: BudgetStoreState, error?: unknown): void {
    if (this.state === state) return;
    this.state = state;
    try {
      this.onStoreStateChange?.(state, error === undefined ? undefined : redactSecrets(error));
    } catch {
      // A failing listener (e.g. a logger) must not break pacing.
    }
  }
}

/** Whole milliseconds, at least one: `RtcRateLimitedError.retryAfterMs` is a time to wait. */
function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
