import { randomBytes } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';
import { RtcBudgetUnavailableError } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import {
  AcquireOptions,
  CALL_BUDGET_DEFAULTS,
  CallBudgetOptions,
  validateCallBudgetOptions,
} from './call-budget.options';
import { BudgetPlace, KeyTakes, TakeSettings } from './key-takes';
import { RateLimitStore, UPSTREAM_WINDOW_MS } from './rate-limit-store.interface';
import type { RedisClientLike } from './rate-limit.options';
import { RedisRateLimitStore } from './redis-rate-limit.store';
import { answeredBy } from './release-dating';
import { BudgetStoreState, STORE_ANSWER_GRACE_MS, StoreHealth } from './store-health';
import { ThrottleFeedback } from './throttle-feedback';

export { AcquireOptions, CALL_BUDGET_DEFAULTS, CallBudgetOptions } from './call-budget.options';

/**
 * Added to a place's hold beyond the call's timeout and the window, should it never be released
 * (its process died): the timeout runs from when the request leaves, a little after the take.
 */
const HOLD_GRACE_MS = 1_000;

/**
 * When a release the store failed (a Redis blip) is tried again, in ms after each failure. A
 * release that never gets through holds its place for the call's whole timeout and more, a
 * place lost for seconds per failed release. A retry carries the first try's dating and may only
 * bring the hold earlier (the first try may have landed after all).
 */
const RELEASE_RETRIES_MS = [100, 400];

/**
 * Holds the upstream to its limit by giving each call a place in the window from its take until
 * its answer plus the window (see `WindowPlaces` for why that bound holds wherever the upstream
 * counts a call): `acquire` resolves with a place once one is free, and `release` ends it when the
 * call ends. A whole window's places may go at once from rest: a burst starts at once.
 *
 * When every place is held, callers wait, interactive callers before bulk ones (`KeyTakes`
 * schedules each key's takes and wakes its callers when the store says a place may free). An
 * interactive caller that cannot be served by its deadline fails with `RtcRateLimitedError` saying
 * when to retry; one that finds `maxQueued` interactive callers already waiting fails at once. A
 * bulk caller is never refused for time: it waits, and it outlives a failing store, which it asks
 * again every second. Bulk takes leave room to interactive ones (see `bulkLimit`), on every
 * instance sharing the store, so single sends find a place while bulk work saturates the limit.
 *
 * An upstream 429 lowers the key's limit in proportion (`ThrottleFeedback`).
 *
 * The store decides; with a Redis store, every instance sharing it shares the places. What its
 * failures mean (fail closed, or a local share) is `StoreHealth`'s. The budget closes the store
 * when it closes (a Redis store leaves a client you gave it open).
 */
export class CallBudget implements OnApplicationShutdown {
  private readonly limit: number;
  private readonly maxWaitMs: number;
  private readonly maxQueued: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly health: StoreHealth;
  /** What every key's takes share. */
  private readonly settings: TakeSettings;
  private readonly keys = new Map<string, KeyTakes>();
  /** Keys whose limit an upstream 429 lowered, until it has regrown. */
  private readonly feedback = new Map<string, ThrottleFeedback>();
  /** Releases on their way to the store, for shutdown to wait for. */
  private readonly releasing = new Set<Promise<void>>();
  /** Place ids: unique per budget, and across instances by a random prefix. */
  private readonly idPrefix = `${randomBytes(6).toString('base64url')}:`;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly store: RateLimitStore,
    options: CallBudgetOptions = {},
  ) {
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
    this.now = options.now ?? (() => performance.now());
    const common = {
      maxWaitMs: o.maxWaitMs,
      windowMs: this.windowMs,
      now: this.now,
      onStateChange: options.onStoreStateChange,
    };
    this.health = new StoreHealth(
      store,
      options.onStoreError === 'local'
        ? {
            ...common,
            onStoreError: 'local',
            instances: options.instances,
            probeIntervalMs: options.probeIntervalMs,
          }
        : { ...common, onStoreError: 'fail-closed' },
    );
    this.settings = {
      health: this.health,
      windowMs: this.windowMs,
      holdMs: o.callTimeoutMs + this.windowMs + HOLD_GRACE_MS,
      now: this.now,
      limitAt: (key, now) => this.limitAt(key, now),
      newId: () => this.newId(),
      release: (place) => this.release(place),
      // Only these takes: a key forgotten and asked for again has new ones.
      forget: (key, takes) => {
        if (this.keys.get(key) === takes) this.keys.delete(key);
      },
    };
  }

  /**
   * The budget's Redis connection when its store is Redis (`rateLimit.redis`), for
   * `RtcInboundModule`'s de-duplication to share; it stays the budget's to close, after the app's
   * shutdown hooks.
   */
  get redisConnection(): RedisClientLike | undefined {
    return this.store instanceof RedisRateLimitStore ? this.store.connection : undefined;
  }

  /** Which store keeps the places now. */
  get storeState(): BudgetStoreState {
    return this.health.state;
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
    let takes = this.keys.get(key);
    if (takes && !bulk) {
      const refusal = takes.refusal(deadline, this.maxQueued, now);
      if (refusal) return Promise.reject(refusal);
    }
    if (!takes) this.keys.set(key, (takes = new KeyTakes(key, this.settings)));
    const keyTakes = takes;
    return new Promise<BudgetPlace>((resolve, reject) =>
      keyTakes.wait(priority, deadline, resolve, reject, signal),
    );
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
   * Whether the store answers now, whatever `storeState` last saw: see `StoreHealth.probe`.
   * Rejects with the store's error, secrets redacted.
   */
  probeStore(): Promise<void> {
    return this.health.probe(this.newId(), this.windowMs);
  }

  /**
   * Rejects every waiting caller with `RtcBudgetUnavailableError`, stops all timers, waits (a
   * second at most) for the releases on their way to the store, and closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new RtcBudgetUnavailableError('the budget is closed');
    for (const takes of this.keys.values()) takes.close(error);
    this.keys.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.releasing),
      new Promise((resolve) => (timer = setTimeout(resolve, STORE_ANSWER_GRACE_MS))),
    ]);
    clearTimeout(timer);
    await this.health.close();
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
        return await this.health.store.release(place.key, place.id, {
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

  private newId(): string {
    return `${this.idPrefix}${(this.nextId++).toString(36)}`;
  }
}
