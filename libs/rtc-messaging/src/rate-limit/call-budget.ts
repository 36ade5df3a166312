import { RtcBudgetUnavailableError, redactSecrets } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { MESSAGING_CALLS_PER_SECOND } from '../rtc-openapi.constants';
import { FallbackRateLimitStore } from './fallback-rate-limit.store';
import { RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Which store paces calls: the shared one, the local fallback, or none (calls fail closed). */
export type BudgetStoreState = 'shared' | 'local' | 'unavailable';

/** The length of the upstream's sliding window. */
const UPSTREAM_WINDOW_MS = 1_000;

/**
 * Defaults; see the options for what each means.
 *
 * - `perSecond` 500: the documented AppId limit over the four messaging actions.
 * - `maxWaitMs` 1000: one window; a caller still waiting after that is behind a backlog that a
 *   retry by its own caller handles better, and request handlers should not hang for long.
 * - `maxQueued` 1000: room for a full window of grants being handed out now and another one
 *   waiting; anyone further back could not be served within `maxWaitMs` anyway, and the bound
 *   keeps a burst from growing memory.
 * - `safetyMarginMs` 40: see `CallBudgetOptions.safetyMarginMs`.
 */
export const CALL_BUDGET_DEFAULTS = {
  perSecond: MESSAGING_CALLS_PER_SECOND,
  maxWaitMs: 1_000,
  maxQueued: 1_000,
  safetyMarginMs: 40,
  onStoreError: 'fail-closed',
} as const;

/**
 * Takes in flight per key at most. More keep a slow (remote) store from capping throughput at one
 * call per round trip; the cap bounds how many takes a burst can send to Redis at once.
 */
const MAX_TAKES_IN_FLIGHT = 32;

/**
 * `maxWaitMs` bounds the wait for budget, judged on the store's answers; the store's own latency
 * comes on top (Redis answers or fails within its timeout). A store still silent this long after a
 * caller's deadline is taken as hung, so that a broken custom store cannot hold callers forever.
 */
const STORE_ANSWER_GRACE_MS = 1_000;

interface CommonOptions {
  /** Calls per second allowed over all instances sharing the store; defaults to 500. */
  perSecond?: number;
  /** Longest a caller waits for budget before `RtcRateLimitedError`, in ms; defaults to 1000. */
  maxWaitMs?: number;
  /** Most callers waiting per key; one more fails at once with `RtcRateLimitedError`; default 1000. */
  maxQueued?: number;
  /**
   * Added to the 1 s window the budget counts in, in ms; defaults to 40.
   *
   * The budget grants at most `perSecond` calls in any window of `1000 + safetyMarginMs` ms. Calls
   * reach the upstream after a delay that varies (network, TLS, event-loop stalls); as long as
   * that delay varies by no more than the margin, the calls arriving in any upstream second were
   * granted within one budget window, so at most `perSecond` arrive. The price is throughput:
   * at most `perSecond × 1000 / (1000 + margin)` per second sustained. 40 ms keeps 96.2% of the
   * limit (481 of 500 calls/s), above the 95% target with room for pacing overhead, while covering
   * the latency spread of a healthy link; 50 ms would leave no room (95.2%), 25 ms less cover.
   */
  safetyMarginMs?: number;
  /** Told when the store pacing calls changes, with the store's error (secrets redacted); to log. */
  onStoreStateChange?: (state: BudgetStoreState, error?: unknown) => void;
  /** Current time in ms, monotonic; defaults to `performance.now()`. For tests. */
  now?: () => number;
}

/** Options of a `CallBudget`; `instances` is required with the local fallback. */
export type CallBudgetOptions = CommonOptions &
  (
    | {
        /** A failing store rejects calls with `RtcBudgetUnavailableError` (the default). */
        onStoreError?: 'fail-closed';
      }
    | {
        /** A failing store is replaced by this instance's share in memory until it works again. */
        onStoreError: 'local';
        /** Instances sharing the budget; while local, each paces at `floor(perSecond / instances)`. */
        instances: number;
        /** Least time between attempts to return to the failed store, in ms; defaults to 1000. */
        probeIntervalMs?: number;
      }
  );

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** A waiter still waiting after this time (by `now`) fails. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
}

/** The callers of one key, served in arrival order. */
interface KeyQueue {
  /** A `Set` keeps insertion order and deletes an aborted waiter in O(1). */
  readonly waiters: Set<Waiter>;
  inFlight: number;
  /** Takes allowed in flight: one after a refusal, one more per grant (like TCP slow start). */
  window: number;
  /** No take before this time: the store said no unit frees earlier. */
  blockedUntil: number;
  timer?: NodeJS.Timeout;
  timerAt: number;
}

/**
 * Paces calls so the upstream's limit (calls in any sliding second) is never exceeded: `acquire`
 * resolves once the call may go out. When the budget is spent, callers wait in arrival order
 * (per key) for at most `maxWaitMs`, woken by one timer per key set for the moment the store says
 * a unit frees (no polling); a caller that cannot be served in time, or finds `maxQueued` callers
 * already waiting, fails at once with `RtcRateLimitedError` saying when to retry.
 *
 * The store decides; with a Redis store, every instance sharing it shares one budget. The store
 * passed in stays the caller's to close.
 */
export class CallBudget {
  private readonly perSecond: number;
  private readonly maxWaitMs: number;
  private readonly maxQueued: number;
  private readonly windowMs: number;
  private readonly failClosed: boolean;
  private readonly store: RateLimitStore;
  private readonly fallback?: FallbackRateLimitStore;
  private readonly now: () => number;
  private readonly onStoreStateChange?: (state: BudgetStoreState, error?: unknown) => void;
  private readonly queues = new Map<string, KeyQueue>();
  private state: BudgetStoreState = 'shared';
  private closed = false;

  constructor(store: RateLimitStore, options: CallBudgetOptions = {}) {
    const o = {
      perSecond: options.perSecond ?? CALL_BUDGET_DEFAULTS.perSecond,
      maxWaitMs: options.maxWaitMs ?? CALL_BUDGET_DEFAULTS.maxWaitMs,
      maxQueued: options.maxQueued ?? CALL_BUDGET_DEFAULTS.maxQueued,
      safetyMarginMs: options.safetyMarginMs ?? CALL_BUDGET_DEFAULTS.safetyMarginMs,
      onStoreError: options.onStoreError ?? CALL_BUDGET_DEFAULTS.onStoreError,
      instances: options.onStoreError === 'local' ? options.instances : undefined,
      probeIntervalMs: options.onStoreError === 'local' ? options.probeIntervalMs : undefined,
    };
    const problems = validate(o);
    if (problems.length > 0) throw new RtcConfigurationError(problems);

    this.perSecond = o.perSecond;
    this.maxWaitMs = o.maxWaitMs;
    this.maxQueued = o.maxQueued;
    this.windowMs = UPSTREAM_WINDOW_MS + o.safetyMarginMs;
    this.now = options.now ?? (() => performance.now());
    this.onStoreStateChange = options.onStoreStateChange;
    this.failClosed = o.onStoreError !== 'local';
    if (options.onStoreError === 'local') {
      this.fallback = new FallbackRateLimitStore(store, {
        instances: options.instances,
        probeIntervalMs: options.probeIntervalMs,
        now: this.now,
        onStateChange: (state, error) => this.setState(state, error),
      });
      this.store = this.fallback;
    } else {
      this.store = store;
    }
  }

  /** Which store paces calls now. */
  get storeState(): BudgetStoreState {
    return this.state;
  }

  /** Callers of `key` waiting (or being granted) right now. */
  queued(key: string): number {
    return this.queues.get(key)?.waiters.size ?? 0;
  }

  /**
   * Resolves when one call for `key` may go out. Rejects with `RtcRateLimitedError` when it cannot
   * within `maxWaitMs` or the queue is full, with `RtcBudgetUnavailableError` when the store fails
   * and the budget fails closed (or is closed), and with the signal's reason when aborted.
   */
  acquire(key: string, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new RtcBudgetUnavailableError('the budget is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);

    const now = this.now();
    const deadline = now + this.maxWaitMs;
    const existing = this.queues.get(key);
    if (existing && existing.waiters.size >= this.maxQueued) {
      return Promise.reject(new RtcRateLimitedError(this.drainEstimate(existing, now)));
    }
    if (existing && deadline < existing.blockedUntil) {
      // Not a single unit frees before this caller would give up: tell it now.
      return Promise.reject(new RtcRateLimitedError(retryAfter(existing.blockedUntil - now)));
    }
    const queue = existing ?? this.queueOf(key);

    return new Promise<void>((resolve, reject) => {
      const onAbort = signal && (() => this.settle(queue, waiter, signal.reason));
      const waiter: Waiter = { resolve, reject, deadline, signal, onAbort };
      queue.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort!, { once: true });
      this.pump(key, queue);
    });
  }

  /** Rejects every waiting caller with `RtcBudgetUnavailableError` and stops all timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of this.queues.values()) {
      if (queue.timer) clearTimeout(queue.timer);
      const error = new RtcBudgetUnavailableError('the budget is closed');
      for (const waiter of queue.waiters) this.settle(queue, waiter, error);
    }
    this.queues.clear();
    await this.fallback?.close();
  }

  private queueOf(key: string): KeyQueue {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { waiters: new Set(), inFlight: 0, window: 1, blockedUntil: -Infinity, timerAt: 0 };
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Starts as many takes as the queue and the window allow, or sets the key's timer. */
  private pump(key: string, queue: KeyQueue): void {
    if (this.closed) return;
    const now = this.now();
    if (now < queue.blockedUntil) {
      this.arm(key, queue, queue.blockedUntil, now);
      return;
    }
    while (queue.inFlight < queue.window && queue.inFlight < queue.waiters.size) {
      queue.inFlight++;
      this.store.tryTake(key, this.perSecond, this.windowMs).then(
        (result) => this.onTaken(key, queue, result),
        (error: unknown) => this.onStoreError(key, queue, error),
      );
    }
    const head = first(queue.waiters);
    if (head && queue.inFlight > 0) {
      this.arm(key, queue, head.deadline + STORE_ANSWER_GRACE_MS, now);
    } else if (!head && queue.inFlight === 0) {
      this.disarm(queue);
      this.queues.delete(key);
    }
  }

  private onTaken(key: string, queue: KeyQueue, result: TakeResult): void {
    queue.inFlight--;
    if (this.closed) return;
    if (this.failClosed) this.setState('shared');
    if (result.granted) {
      queue.window = Math.min(MAX_TAKES_IN_FLIGHT, queue.window + 1);
      // Grants are not tied to the caller whose turn started the take: the oldest caller gets it,
      // which keeps the order even when a caller in between was aborted.
      const head = first(queue.waiters);
      if (head) this.settle(queue, head);
    } else {
      queue.window = 1;
      const now = this.now();
      queue.blockedUntil = Math.max(queue.blockedUntil, now + result.retryAfterMs);
      // Deadlines grow with arrival order, so those who cannot wait that long are at the head.
      for (const waiter of queue.waiters) {
        if (waiter.deadline >= queue.blockedUntil) break;
        this.settle(queue, waiter, new RtcRateLimitedError(retryAfter(queue.blockedUntil - now)));
      }
    }
    this.pump(key, queue);
  }

  private onStoreError(key: string, queue: KeyQueue, error: unknown): void {
    queue.inFlight--;
    if (this.closed) return;
    this.setState('unavailable', error);
    // The store serves every caller of the key alike, so they all fail now rather than one by one.
    const failure = new RtcBudgetUnavailableError('the rate-limit store failed', { cause: error });
    for (const waiter of queue.waiters) this.settle(queue, waiter, failure);
    this.pump(key, queue);
  }

  /** Sets the key's one timer for `at`, unless it is already set for then. */
  private arm(key: string, queue: KeyQueue, at: number, now: number): void {
    if (queue.timer && queue.timerAt === at) return;
    this.disarm(queue);
    queue.timerAt = at;
    // At least 1 ms, so a timer firing a little early cannot spin.
    queue.timer = setTimeout(() => this.onTimer(key, queue), Math.max(1, Math.ceil(at - now)));
  }

  private disarm(queue: KeyQueue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
  }

  private onTimer(key: string, queue: KeyQueue): void {
    queue.timer = undefined;
    const now = this.now();
    for (const waiter of queue.waiters) {
      if (waiter.deadline + STORE_ANSWER_GRACE_MS >= now) break;
      this.settle(
        queue,
        waiter,
        new RtcBudgetUnavailableError('the rate-limit store did not answer'),
      );
    }
    this.pump(key, queue);
  }

  /** Removes `waiter` and resolves it, or rejects it with `error`. */
  private settle(queue: KeyQueue, waiter: Waiter, error?: unknown): void {
    if (!queue.waiters.delete(waiter)) return;
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }

  /** Units this instance may take per window now. */
  private effectiveLimit(): number {
    return this.state === 'local' && this.fallback
      ? this.fallback.shareOf(this.perSecond)
      : this.perSecond;
  }

  /** When the next unit should free: the store's answer if known, else one unit's share of time. */
  private nextUnitEstimate(queue: KeyQueue, now: number): number {
    return retryAfter(
      now < queue.blockedUntil ? queue.blockedUntil - now : this.windowMs / this.effectiveLimit(),
    );
  }

  /** How long the callers already waiting need, at best, to be served: a full queue's hint. */
  private drainEstimate(queue: KeyQueue, now: number): number {
    const drain = (queue.waiters.size * this.windowMs) / this.effectiveLimit();
    return Math.max(this.nextUnitEstimate(queue, now), retryAfter(drain));
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

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}

/** Whole milliseconds, at least one: `RtcRateLimitedError.retryAfterMs` is a time to wait. */
function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

function validate(o: {
  perSecond: number;
  maxWaitMs: number;
  maxQueued: number;
  safetyMarginMs: number;
  onStoreError: string;
  instances?: number;
  probeIntervalMs?: number;
}): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(o.perSecond) || o.perSecond < 1) {
    problems.push('perSecond must be a positive integer');
  }
  if (!Number.isFinite(o.maxWaitMs) || o.maxWaitMs < 0) {
    problems.push('maxWaitMs must be a number ≥ 0');
  }
  if (!Number.isInteger(o.maxQueued) || o.maxQueued < 1) {
    problems.push('maxQueued must be a positive integer');
  }
  if (!Number.isInteger(o.safetyMarginMs) || o.safetyMarginMs < 0) {
    problems.push('safetyMarginMs must be an integer ≥ 0');
  }
  if (o.onStoreError !== 'fail-closed' && o.onStoreError !== 'local') {
    problems.push("onStoreError must be 'fail-closed' or 'local'");
  }
  if (o.onStoreError === 'local') {
    const instances = o.instances;
    if (instances === undefined || !Number.isInteger(instances) || instances < 1) {
      problems.push("instances must be a positive integer with onStoreError 'local'");
    } else if (Number.isInteger(o.perSecond) && instances > o.perSecond) {
      problems.push(
        'instances must not exceed perSecond (each needs at least one call per second)',
      );
    }
    if (o.probeIntervalMs !== undefined && !(o.probeIntervalMs > 0)) {
      problems.push('probeIntervalMs must be positive');
    }
  }
  return problems;
}
