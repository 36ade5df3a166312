import { RtcBudgetUnavailableError, redactSecrets } from '../errors/rtc-budget-unavailable.error';
import { RtcConfigurationError } from '../errors/rtc-configuration.error';
import { RtcRateLimitedError } from '../errors/rtc-rate-limited.error';
import { MESSAGING_CALLS_PER_SECOND } from '../rtc-openapi.constants';
import { FallbackRateLimitStore } from './fallback-rate-limit.store';
import { ADAPTIVE_MARGIN_DEFAULTS, AdaptiveMargin, AdaptiveMarginOptions } from './adaptive-margin';
import { PaceTable } from './pace-table';
import { ArrivalHint, GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Which store paces calls: the shared one, the local fallback, or none (calls fail closed). */
export type BudgetStoreState = 'shared' | 'local' | 'unavailable';

/** The length of the upstream's sliding window, in ms. */
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
 * - the safety margin adapts to the link (see `AdaptiveMargin`), unless `safetyMarginMs` fixes it.
 * - `coldStartMs` 100: see `CallBudgetOptions.coldStartMs`.
 */
export const CALL_BUDGET_DEFAULTS = {
  perSecond: MESSAGING_CALLS_PER_SECOND,
  maxWaitMs: 1_000,
  maxQueued: 1_000,
  coldStartMs: 100,
  onStoreError: 'fail-closed',
} as const;

/**
 * Takes in flight per key at most. More keep a slow (remote) store from capping throughput at one
 * call per round trip; the cap bounds how many takes a burst can send to Redis at once. (GCRA
 * refuses the takes beyond what the pace allows by itself, whatever arrives at once.)
 */
const MAX_TAKES_IN_FLIGHT = 32;

/**
 * `maxWaitMs` bounds the wait for budget, judged on the store's answers; the store's own latency
 * comes on top (Redis answers or fails within its timeout). A store still silent this long after a
 * caller's deadline is taken as hung, so that a broken custom store cannot hold callers forever.
 */
const STORE_ANSWER_GRACE_MS = 1_000;

/** How soon bulk callers ask a store that failed (or hung) again, in ms. */
const STORE_RETRY_MS = 1_000;

interface CommonOptions {
  /** Calls per second allowed over all instances sharing the store; defaults to 500. */
  perSecond?: number;
  /** Longest a caller waits for budget before `RtcRateLimitedError`, in ms; defaults to 1000. */
  maxWaitMs?: number;
  /**
   * Most interactive callers waiting per key; one more fails at once with `RtcRateLimitedError`;
   * default 1000. Bulk callers are not counted: their callers bound them (see `BudgetPriority`).
   */
  maxQueued?: number;
  /**
   * A fixed margin added to the upstream's 1 s window, in ms, instead of the adaptive one (see
   * `margin`).
   *
   * The budget paces grants (GCRA) so that no span of `1000 + safetyMarginMs` ms, ends included,
   * holds more than `perSecond` of them: one grant every `T = (1000 + margin) / (perSecond - B)`
   * ms (a hair more), with at most `B + 1` back to back, B being 1 to 4 (see `paceFor`). Calls reach
   * the upstream after a delay that varies (signing and sending, network, TLS, event-loop stalls);
   * as long as that delay varies by no more than the margin, the calls arriving in any upstream
   * second were granted within one such span, so at most `perSecond` arrive.
   *
   * Pacing is what makes a small margin enough. A budget that grants a whole window at once has
   * the caller sign and send hundreds of requests back to back, so the last leaves long after its
   * grant (over 100 ms at 500 calls), and that spread grows with the burst; evenly spaced grants
   * release one call at a time, so the spread is the link's own jitter.
   *
   * The price is throughput: just under `1000 × (perSecond - B) / (1000 + margin)` calls per
   * second sustained. At 500 calls/s with B = 4, 30 ms gives 481.5 calls/s (96.3%) and 5 ms
   * 493.5 calls/s (98.7%): which is why the margin follows the link rather than being sized for
   * any link.
   */
  safetyMarginMs?: number;
  /**
   * The adaptive margin (the default when `safetyMarginMs` is not set): the spread of recent
   * round trips, which the dispatcher reports through `observeRoundTrip`, within bounds. See
   * `AdaptiveMargin`.
   */
  margin?: Omit<AdaptiveMarginOptions, 'now'>;
  /**
   * How much later than the calls that follow them the first calls after a quiet spell may
   * arrive, beyond `safetyMarginMs`, in ms; defaults to 100; 0 turns the allowance off.
   *
   * The first calls after the budget was idle for a window (or new) open connections (TCP, TLS)
   * and run code for the first time, so they can reach the upstream tens of milliseconds after
   * calls granted later on warm connections, together with them: measured against the emulator,
   * the first five to ten calls of a fresh module arrived 30 to 100 ms late, well beyond the
   * margin, and made the upstream throttle a burst of 2.5 × its limit. So for one window plus
   * twice this allowance from such a start, the budget paces as if the margin were this much
   * larger: 439 instead of 481.5 calls/s at 500/s, about 50 calls fewer per cold start.
   */
  coldStartMs?: number;
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
        /**
         * Instances sharing the budget; while local, each paces as a budget of
         * `floor(perSecond / instances)` would.
         */
        instances: number;
        /** Least time between attempts to return to the failed store, in ms; defaults to 1000. */
        probeIntervalMs?: number;
      }
  );

/**
 * What the budget asks of whoever keeps the connections to the upstream open (see
 * `coldStartMs`): the first calls after a quiet spell arrive late only when they have to open
 * connections.
 */
export interface ConnectionWarmth {
  /** Whether calls granted now find connections open (no connect or TLS handshake to wait for). */
  isWarm(): boolean;
  /** Opens connections for the calls about to follow; called at a start from rest, when cold. */
  warm(): void;
}

/**
 * Who waits for a unit. Interactive callers (a single send a user waits for) are served before
 * bulk callers (a fan-out recipient, a batch chunk): a user-facing message never queues behind a
 * campaign. Interactive callers wait at most their `maxWaitMs` and count against `maxQueued`;
 * bulk callers wait their turn however long it takes (or until their signal aborts): their callers
 * bound how many wait (a fan-out holds at most `concurrency`), so that is where the backpressure
 * lives, not in a refusal.
 */
export type BudgetPriority = 'interactive' | 'bulk';

/** Options of one `CallBudget.acquire`. */
export interface AcquireOptions {
  /** Stops waiting: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** `interactive` (the default) or `bulk`; see `BudgetPriority`. */
  readonly priority?: BudgetPriority;
  /** An interactive caller's longest wait, instead of the budget's `maxWaitMs`; in ms. */
  readonly maxWaitMs?: number;
}

interface Waiter {
  /** Called with the age of the grant: ms since the take that granted it went to the store. */
  readonly resolve: (grantAgeMs: number) => void;
  readonly reject: (error: unknown) => void;
  /** An interactive waiter still waiting after this time (by `now`) fails; bulk: `Infinity`. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
}

/** The callers of one key, each class served in arrival order, interactive first. */
interface KeyQueue {
  /** A `Set` keeps insertion order and deletes an aborted waiter in O(1). */
  readonly interactive: Set<Waiter>;
  readonly bulk: Set<Waiter>;
  /**
   * Whether the interactive deadlines grow with arrival order (the budget's own `maxWaitMs` for
   * all): then the head has the earliest deadline, and a check of the head and the last waiter
   * stands for the whole queue. A caller with a shorter wait of its own clears it until the
   * queue empties, and the checks walk the queue instead.
   */
  deadlinesInOrder: boolean;
  lastDeadline: number;
  inFlight: number;
  /** Takes allowed in flight: one after a refusal, one more per grant (like TCP slow start). */
  window: number;
  /** No take at the full rate before this time: the store said none is granted earlier. */
  blockedUntil: number;
  /** No take at the bulk rate before this time (it is at least `blockedUntil` in effect). */
  bulkBlockedUntil: number;
  /** When a take went out with none in flight, or the store last answered one. */
  lastStoreActivity: number;
  /** Bumped when the store's takes are given up on (it hung): their late answers are ignored. */
  generation: number;
  timer?: NodeJS.Timeout;
  timerAt: number;
}

/**
 * Paces calls so the upstream's limit (calls in any sliding second) is never exceeded: `acquire`
 * resolves once the call may go out. When the budget is spent, callers wait, interactive callers
 * before bulk ones and each class in arrival order (per key), woken by one timer per key set for
 * the moment the store says a unit frees (no polling). An interactive caller that cannot be served
 * by its deadline fails with `RtcRateLimitedError` saying when to retry: at once when that is
 * already clear, at the latest at its deadline, wherever it stands in the queue; one that finds
 * `maxQueued` interactive callers already waiting fails at once. A bulk caller is never refused
 * for time: it waits, and it outlives a failing store, which it asks again every second.
 *
 * Precedence also holds across instances sharing a store: bulk takes ask for one unit of burst
 * fewer than interactive ones (see `bulkRateOf`), so an interactive take finds a unit free even
 * while bulk work on every instance keeps the budget saturated.
 *
 * The store decides; with a Redis store, every instance sharing it shares one budget. The store
 * passed in stays the caller's to close.
 */
export class CallBudget {
  private readonly maxWaitMs: number;
  private readonly maxQueued: number;
  /** The rates asked of the store, per margin. */
  private readonly paces: PaceTable;
  /** The margin when fixed by `safetyMarginMs`; else `adaptive` decides. */
  private readonly fixedMarginMs?: number;
  private readonly adaptive?: AdaptiveMargin;
  /** The last hint given to the store, reused while the earliest delay stays the same. */
  private hint?: ArrivalHint;
  private readonly coldStartMs: number;
  /** Takes in flight with no answer for longer than this mean the store hung. */
  private readonly storeSilenceMs: number;
  private lastGrantAt = -Infinity;
  private coldUntil = -Infinity;
  private warmth?: ConnectionWarmth;
  private readonly perSecond: number;
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
      safetyMarginMs: options.safetyMarginMs,
      coldStartMs: options.coldStartMs ?? CALL_BUDGET_DEFAULTS.coldStartMs,
      onStoreError: options.onStoreError ?? CALL_BUDGET_DEFAULTS.onStoreError,
      instances: options.onStoreError === 'local' ? options.instances : undefined,
      probeIntervalMs: options.onStoreError === 'local' ? options.probeIntervalMs : undefined,
    };
    const problems = validate(o);
    if (problems.length > 0) throw new RtcConfigurationError(problems);

    this.perSecond = o.perSecond;
    this.maxWaitMs = o.maxWaitMs;
    this.maxQueued = o.maxQueued;
    this.storeSilenceMs = o.maxWaitMs + STORE_ANSWER_GRACE_MS;
    this.now = options.now ?? (() => performance.now());
    this.onStoreStateChange = options.onStoreStateChange;
    this.failClosed = o.onStoreError !== 'local';
    this.coldStartMs = o.coldStartMs;
    this.fixedMarginMs = o.safetyMarginMs;
    if (o.safetyMarginMs === undefined) {
      this.adaptive = new AdaptiveMargin({ ...options.margin, now: this.now });
    }
    // Each instance's own share while local, paced as a budget of that size: the shares add up
    // to at most `perSecond` in any span, bursts included.
    const share =
      options.onStoreError === 'local' ? Math.floor(o.perSecond / options.instances) : undefined;
    this.paces = new PaceTable(o.perSecond, UPSTREAM_WINDOW_MS, o.coldStartMs, share);
    if (options.onStoreError === 'local') {
      const widestMarginMs =
        o.safetyMarginMs ?? options.margin?.maxMs ?? ADAPTIVE_MARGIN_DEFAULTS.maxMs;
      this.fallback = new FallbackRateLimitStore(store, {
        localRateOf: (rate) => this.paces.localOf(rate),
        guardMs: UPSTREAM_WINDOW_MS + widestMarginMs,
        probeIntervalMs: options.probeIntervalMs,
        now: this.now,
        onStateChange: (state, error) => this.setState(state, error),
      });
      this.store = this.fallback;
    } else {
      this.store = store;
    }
  }

  /** The safety margin in force, in ms (see `safetyMarginMs` and `margin`). */
  get marginMs(): number {
    return this.fixedMarginMs ?? this.adaptive!.current();
  }

  /**
   * Tells the adaptive margin how long a call took from its grant to its answer, in ms, the grant
   * counted from when its take went to the store (see `acquire`): the spread of these sizes it.
   * (Ignored with a fixed margin.)
   */
  observeRoundTrip(roundTripMs: number): void {
    this.adaptive?.observe(roundTripMs);
  }

  /** Tells the adaptive margin that the upstream throttled a call anyway: it widens for a while. */
  observeThrottled(): void {
    this.adaptive?.throttled();
  }

  /**
   * Lets the budget skip the cold-start allowance when the connections are warm, and ask for
   * them to be warmed when it starts from rest.
   */
  useConnectionWarmth(warmth: ConnectionWarmth): void {
    this.warmth = warmth;
  }

  /**
   * How many calls are on their way to the upstream at once when the budget runs at its limit:
   * the limit times the typical round trip (the adaptive margin's median), or `undefined` before
   * any round trip was seen. What warm connections are sized to.
   */
  expectedConcurrency(): number | undefined {
    const typical = this.adaptive?.typicalRoundTripMs() ?? NaN;
    return Number.isNaN(typical) ? undefined : Math.ceil((this.perSecond * typical) / 1_000);
  }

  /** Milliseconds since the budget last granted a unit (`Infinity` before the first). */
  msSinceLastGrant(): number {
    return this.now() - this.lastGrantAt;
  }

  /** Which store paces calls now. */
  get storeState(): BudgetStoreState {
    return this.state;
  }

  /** Callers of `key` waiting (or being granted) right now, interactive and bulk. */
  queued(key: string): number {
    const queue = this.queues.get(key);
    return queue ? queue.interactive.size + queue.bulk.size : 0;
  }

  /**
   * Resolves when one call for `key` may go out, with the age of its grant: the ms since the take
   * that granted it went to the store. The store may have counted the unit at any moment of that
   * time (a Redis store counts it on the server, then the answer travels back and waits for the
   * event loop), so a round trip that should hold the call's whole delay from its grant to its
   * arrival upstream starts that much earlier than the moment this resolves (see
   * `observeRoundTrip`). An interactive caller (the default) rejects with
   * `RtcRateLimitedError` when it cannot go within its `maxWaitMs` or `maxQueued` interactive
   * callers already wait, and with `RtcBudgetUnavailableError` when the store fails and the budget
   * fails closed. A bulk caller waits for its turn. Both reject with `RtcBudgetUnavailableError`
   * once the budget is closed, and with the signal's reason when aborted.
   */
  acquire(key: string, options: AcquireOptions = {}): Promise<number> {
    const { signal, priority = 'interactive', maxWaitMs = this.maxWaitMs } = options;
    if (this.closed) return Promise.reject(new RtcBudgetUnavailableError('the budget is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);

    const bulk = priority === 'bulk';
    const now = this.now();
    const deadline = bulk ? Infinity : now + maxWaitMs;
    const existing = this.queues.get(key);
    if (existing && !bulk) {
      if (existing.interactive.size >= this.maxQueued) {
        return Promise.reject(new RtcRateLimitedError(this.drainEstimate(existing, now)));
      }
      const earliest = this.earliestGrant(existing, existing.interactive.size, now);
      // Those ahead cannot all be served before this caller would give up: tell it now.
      if (deadline < earliest) {
        return Promise.reject(new RtcRateLimitedError(retryAfter(earliest - now)));
      }
    }
    const queue = existing ?? this.queueOf(key);

    return new Promise<number>((resolve, reject) => {
      const onAbort = signal && (() => this.fail(queue, waiter, signal.reason));
      const waiter: Waiter = { resolve, reject, deadline, signal, onAbort };
      if (bulk) {
        queue.bulk.add(waiter);
      } else {
        if (deadline < queue.lastDeadline) queue.deadlinesInOrder = false;
        queue.lastDeadline = Math.max(queue.lastDeadline, deadline);
        queue.interactive.add(waiter);
      }
      signal?.addEventListener('abort', onAbort!, { once: true });
      this.pump(key, queue);
    });
  }

  /** Rejects every waiting caller with `RtcBudgetUnavailableError` and stops all timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of this.queues.values()) {
      this.disarm(queue);
      const error = new RtcBudgetUnavailableError('the budget is closed');
      for (const waiter of [...queue.interactive, ...queue.bulk]) this.fail(queue, waiter, error);
    }
    this.queues.clear();
    await this.fallback?.close();
  }

  private queueOf(key: string): KeyQueue {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = {
        interactive: new Set(),
        bulk: new Set(),
        deadlinesInOrder: true,
        lastDeadline: -Infinity,
        inFlight: 0,
        window: 1,
        blockedUntil: -Infinity,
        bulkBlockedUntil: -Infinity,
        lastStoreActivity: -Infinity,
        generation: 0,
        timerAt: 0,
      };
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Starts as many takes as the queue and the window allow, and sets the key's timer. */
  private pump(key: string, queue: KeyQueue): void {
    if (this.closed) return;
    const now = this.now();
    const interactive = queue.interactive.size > 0;
    const waiting = queue.interactive.size + queue.bulk.size;
    // Interactive callers may take the unit that bulk takes leave (see `bulkRateOf`).
    const blockedUntil = interactive
      ? queue.blockedUntil
      : Math.max(queue.blockedUntil, queue.bulkBlockedUntil);
    if (now >= blockedUntil) {
      while (queue.inFlight < queue.window && queue.inFlight < waiting) this.take(key, queue, now);
    }
    if (waiting === 0 && queue.inFlight === 0) {
      this.disarm(queue);
      this.queues.delete(key);
      return;
    }
    // One timer for whatever comes first: the unit the store said frees, the head's deadline, or
    // the moment silence from the store means it hung. (+1: these fail strictly after the time.)
    let at = now < blockedUntil ? blockedUntil : Infinity;
    if (queue.inFlight > 0) at = Math.min(at, queue.lastStoreActivity + this.storeSilenceMs + 1);
    const deadline = this.earliestDeadline(queue);
    if (deadline < Infinity) {
      at = Math.min(at, queue.inFlight > 0 ? deadline + STORE_ANSWER_GRACE_MS + 1 : deadline + 1);
    }
    if (at < Infinity) this.arm(key, queue, at, now);
    else this.disarm(queue);
  }

  /** One take at the rate of the best class waiting; its grant goes to whoever is first then. */
  private take(key: string, queue: KeyQueue, now: number): void {
    if (queue.inFlight === 0) queue.lastStoreActivity = now;
    queue.inFlight++;
    const bulk = queue.interactive.size === 0;
    const rate = this.paceAt(now, bulk);
    const generation = queue.generation;
    this.store.tryTake(key, rate, this.arrivalHint()).then(
      (result) => {
        if (generation === queue.generation) this.onTaken(key, queue, bulk, result, now);
      },
      (error: unknown) => {
        if (generation === queue.generation) this.onStoreError(key, queue, error);
      },
    );
  }

  /** @param sentAt when the take went to the store */
  private onTaken(
    key: string,
    queue: KeyQueue,
    bulk: boolean,
    result: TakeResult,
    sentAt: number,
  ): void {
    queue.inFlight--;
    if (this.closed) return;
    const now = this.now();
    queue.lastStoreActivity = now;
    if (this.failClosed) this.setState('shared');
    if (result.granted) {
      this.lastGrantAt = now;
      queue.window = Math.min(MAX_TAKES_IN_FLIGHT, queue.window + 1);
      // Grants are not tied to the caller whose turn started the take: the first caller gets it,
      // which keeps the order even when a caller in between was aborted.
      const head = first(queue.interactive) ?? first(queue.bulk);
      if (head) this.grant(queue, head, now - sentAt);
    } else {
      queue.window = 1;
      // The store's answer drives the key's timer: GCRA grants again exactly then (unless another
      // instance takes that unit first), so waiting for it loses no throughput.
      const until = now + result.retryAfterMs;
      if (bulk) queue.bulkBlockedUntil = Math.max(queue.bulkBlockedUntil, until);
      else queue.blockedUntil = Math.max(queue.blockedUntil, until);
    }
    this.failHopeless(queue, now);
    this.pump(key, queue);
  }

  private onStoreError(key: string, queue: KeyQueue, error: unknown): void {
    queue.inFlight--;
    if (this.closed) return;
    const now = this.now();
    queue.lastStoreActivity = now;
    this.setState('unavailable', error);
    this.storeFailed(queue, now, error, 'the rate-limit store failed');
    this.pump(key, queue);
  }

  /**
   * The store cannot decide for the key. It serves every caller alike, so the interactive callers
   * all fail now rather than one by one; bulk callers stay, and the store is asked again later.
   */
  private storeFailed(queue: KeyQueue, now: number, cause: unknown, message: string): void {
    const failure = new RtcBudgetUnavailableError(
      message,
      cause === undefined ? undefined : { cause },
    );
    for (const waiter of queue.interactive) this.fail(queue, waiter, failure);
    queue.bulkBlockedUntil = Math.max(queue.bulkBlockedUntil, now + STORE_RETRY_MS);
  }

  /**
   * Fails, at once, the interactive waiters that cannot be granted before their deadline at the
   * pace in force, and those whose deadline passed while the store was deciding. When the
   * deadlines are in arrival order, so are the earliest grants: if the head can wait for the last
   * waiter's earliest grant, everybody can, which spares a walk through the queue on nearly every
   * answer.
   */
  private failHopeless(queue: KeyQueue, now: number): void {
    const head = first(queue.interactive);
    if (!head) return;
    if (
      queue.deadlinesInOrder &&
      head.deadline >= this.earliestGrant(queue, queue.interactive.size - 1, now)
    ) {
      return;
    }
    let position = 0;
    for (const waiter of queue.interactive) {
      const earliest = Math.max(now, this.earliestGrant(queue, position, now));
      if (waiter.deadline < earliest) {
        this.fail(queue, waiter, new RtcRateLimitedError(retryAfter(earliest - now)));
      } else {
        position++;
      }
    }
  }

  /**
   * The earliest the interactive waiter at `position` (0 = head) of the key's queue can be
   * granted, by the pace in force. After a grant, GCRA grants the k-th next one no earlier than
   * `(k - burst)` intervals later, and after a refusal the k-th next one no earlier than `k`
   * intervals after the refusal's time to retry; the takes in flight may still be granted earlier.
   * A lower bound: bulk callers come after, and the other instances sharing the store only make it
   * later.
   */
  private earliestGrant(queue: KeyQueue, position: number, now: number): number {
    const { intervalMs, burst } = this.currentRate();
    const ahead = position - queue.inFlight;
    if (now < queue.blockedUntil) return queue.blockedUntil + Math.max(0, ahead) * intervalMs;
    return now + Math.max(0, ahead - burst) * intervalMs;
  }

  /** The earliest deadline of the key's interactive waiters (`Infinity` when there are none). */
  private earliestDeadline(queue: KeyQueue): number {
    if (queue.deadlinesInOrder) return first(queue.interactive)?.deadline ?? Infinity;
    let earliest = Infinity;
    for (const waiter of queue.interactive) earliest = Math.min(earliest, waiter.deadline);
    return earliest;
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
    if (queue.inFlight > 0 && now - queue.lastStoreActivity > this.storeSilenceMs) {
      // The store hung: its takes will never answer (or too late to matter); ask it anew later.
      queue.generation++;
      queue.inFlight = 0;
      queue.window = 1;
      this.storeFailed(queue, now, undefined, 'the rate-limit store did not answer');
    }
    for (const waiter of queue.interactive) {
      if (waiter.deadline >= now) continue;
      if (queue.inFlight === 0) {
        // Nothing in flight can grant it now: its turn is at least the pace's next unit away.
        this.fail(queue, waiter, new RtcRateLimitedError(this.drainEstimate(queue, now)));
      } else if (waiter.deadline + STORE_ANSWER_GRACE_MS < now) {
        this.fail(
          queue,
          waiter,
          new RtcBudgetUnavailableError('the rate-limit store did not answer'),
        );
      }
    }
    this.pump(key, queue);
  }

  /** Hands `waiter` its unit: resolves it with the grant's age (see `acquire`). */
  private grant(queue: KeyQueue, waiter: Waiter, grantAgeMs: number): void {
    if (this.remove(queue, waiter)) waiter.resolve(grantAgeMs);
  }

  /** Rejects `waiter` with `error`. */
  private fail(queue: KeyQueue, waiter: Waiter, error: unknown): void {
    if (this.remove(queue, waiter)) waiter.reject(error);
  }

  /** Takes `waiter` out of its queue; false when it was no longer there (already settled). */
  private remove(queue: KeyQueue, waiter: Waiter): boolean {
    if (!queue.interactive.delete(waiter) && !queue.bulk.delete(waiter)) return false;
    if (queue.interactive.size === 0) {
      queue.deadlinesInOrder = true;
      queue.lastDeadline = -Infinity;
    }
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    return true;
  }

  /**
   * The pace to ask of the store for a take now, at the margin in force: the cold pace for a while
   * after a start with no grant in the window before (the budget's first, or the first after a
   * quiet spell), else the normal one; for a bulk take, its variant (see `bulkRateOf`). Per budget,
   * not per key: the connections and code that make first calls slow are shared by every key.
   */
  private paceAt(now: number, bulk: boolean): GcraRate {
    const margin = this.marginMs;
    const paces = this.paces.at(margin);
    const idleMs = UPSTREAM_WINDOW_MS + margin;
    if (now >= this.coldUntil && now - this.lastGrantAt >= idleMs) {
      // A start from rest. With the connections still open, the first calls are not late: no
      // allowance. Else the allowance, and connections warmed for the calls to come.
      const warm = this.warmth?.isWarm() ?? false;
      if (!warm) this.warmth?.warm();
      // Grants up to `coldStartMs` into the cold start may arrive that late, so the spans that
      // hold them end at most `idleMs + 2 × coldStartMs` after it.
      this.coldUntil = warm ? now : now + idleMs + 2 * this.coldStartMs;
      // The start counts as activity: it is not seen again before another quiet spell.
      this.lastGrantAt = now;
    }
    if (now < this.coldUntil) return bulk ? paces.coldBulk : paces.cold;
    return bulk ? paces.warmBulk : paces.warm;
  }

  /**
   * How soon this instance's calls arrive, for a store shared with instances nearer the upstream
   * or farther from it (see `ArrivalHint`): the earliest round trip of the adaptive margin's
   * sample, or 0 before there is one (the store then decides at the grant's own time, as with
   * one instance). None with a fixed margin: it was chosen to cover every instance. Read right
   * after `paceAt`, whose margin recomputed the sample if it was due.
   */
  private arrivalHint(): ArrivalHint | undefined {
    if (!this.adaptive) return undefined;
    const earliest = this.adaptive.earliestRoundTripMs();
    const earliestMs = Number.isNaN(earliest) ? 0 : earliest;
    if (this.hint?.earliestMs !== earliestMs) {
      this.hint = { earliestMs };
    }
    return this.hint;
  }

  /**
   * A lower bound of the pace this instance is held to now (the cold pace is slower): its local
   * share while the fallback decides.
   */
  private currentRate(): GcraRate {
    const rate = this.paces.at(this.marginMs).warm;
    return this.state === 'local' && this.fallback ? this.paces.localOf(rate) : rate;
  }

  /**
   * How long the interactive callers already waiting need, at best, to be served, at the pace in
   * force (one interval each after the store's time to retry): a full queue's hint.
   */
  private drainEstimate(queue: KeyQueue, now: number): number {
    return retryAfter(this.earliestGrant(queue, queue.interactive.size, now) - now);
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
  safetyMarginMs?: number;
  coldStartMs: number;
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
  if (
    o.safetyMarginMs !== undefined &&
    (!Number.isInteger(o.safetyMarginMs) || o.safetyMarginMs < 0)
  ) {
    problems.push('safetyMarginMs must be an integer ≥ 0');
  }
  if (!Number.isInteger(o.coldStartMs) || o.coldStartMs < 0) {
    problems.push('coldStartMs must be an integer ≥ 0');
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
