import { RtcConfigurationError, RtcCredentialsExpiredError } from '../errors';
import { Credentials, SigningScope } from './v4-signature';
import { V4Signer } from './v4-signer';

/** A set of credentials as the `credentials` option returns it. */
export interface ExpiringCredentials extends Credentials {
  /**
   * When the set stops working (STS: `Credentials.ExpiredTime`). Without it the set is used until
   * the upstream refuses it; with it, a new set is asked for ahead of that time.
   */
  readonly expiresAt?: Date;
}

/** What each call of the `credentials` option is given. */
export interface CredentialsRequest {
  /**
   * Aborted when the call took longer than `credentialsTimeoutMs` (its answer is then ignored) or
   * the app shuts down: pass it on to the HTTP call that fetches the set, so it stops too.
   */
  readonly signal: AbortSignal;
}

/** Returns the current credentials, synchronously or not: the `credentials` option. */
export type CredentialsSupplier = (
  request: CredentialsRequest,
) => ExpiringCredentials | PromiseLike<ExpiringCredentials>;

/** Where the signing credentials come from, once the options are resolved. */
export type CredentialsSource =
  | { readonly kind: 'static'; readonly credentials: Credentials }
  | {
      readonly kind: 'supplied';
      readonly supply: CredentialsSupplier;
      /** How long before `expiresAt` a new set is asked for, in ms. */
      readonly refreshBeforeMs: number;
      /** How long one call of `supply` may take before it counts as failed, in ms. */
      readonly timeoutMs: number;
    };

/** Default of `refreshCredentialsBeforeMs`: STS sets live an hour by default, 15 minutes at least. */
export const DEFAULT_CREDENTIALS_REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Default of `credentialsTimeoutMs`: an STS `AssumeRole` answers in well under a second; a call
 * still pending after 30 s is stuck (a socket that never answers), and must not hold every later
 * refresh behind it.
 */
export const DEFAULT_CREDENTIALS_TIMEOUT_MS = 30_000;

/**
 * At most one early refresh (after the upstream refused a set) per minute: a key that is wrong at
 * the source must not turn every failing call into a call of the supplier too.
 */
export const EARLY_REFRESH_INTERVAL_MS = 60_000;

/** `setTimeout` fires at once past this delay (a signed 32-bit int), so longer waits are chained. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** An error's name and message, cut short: what may be logged of a failure in user code. */
const MAX_FAILURE_CHARS = 300;

/** The timers the refresh schedule runs on; tests pass fake ones. */
export interface RefreshTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What a {@link CredentialsProvider} needs besides the supplier. */
export interface CredentialsProviderOptions {
  /** The scope every request is signed for. */
  readonly scope: SigningScope;
  /** The wait before retry `attempt` (1, 2, …) of a failed refresh, in ms. */
  readonly backoffMs: (attempt: number) => number;
  /** Where refresh failures and early refreshes are reported; never given a secret. */
  readonly logger: { log(message: string): void; warn(message: string): void };
  /** The clock, in epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Default: the global `setTimeout` / `clearTimeout`, unref'd so they never hold the process. */
  readonly timers?: RefreshTimers;
}

/** One set as it is used: its signer (the secrets stay `#private` in it) and its expiry. */
interface CurrentSet {
  readonly signer: V4Signer;
  readonly accessKeyId: string;
  /** Epoch ms; `undefined` for a set that does not expire. */
  readonly expiresAt?: number;
  /** Epoch ms from which a new set is asked for; `undefined` for a set that does not expire. */
  readonly refreshAt?: number;
}

/** Why an armed timer will refresh: the set's schedule (wall clock) or a failure's backoff. */
type TimerKind = 'schedule' | 'backoff';

const SYSTEM_TIMERS: RefreshTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The credentials every request is signed with, kept fresh: the static keys, or the sets the
 * `credentials` option returns. Each request takes one {@link signer}, so it is signed with one
 * consistent set even while a new one arrives.
 *
 * Supplied sets are asked for at boot ({@link start}), again `refreshBeforeMs` ahead of
 * `expiresAt`, and early when the upstream refuses the current set ({@link rejected}). One
 * refresh runs at a time; until it succeeds calls keep the old set. Each call of the supplier has
 * `timeoutMs`: one that hangs counts as failed. A failed refresh is logged and retried with
 * backoff, also after the old set expired: from then on calls fail with
 * `RtcCredentialsExpiredError` until a refresh succeeds.
 *
 * Timers run on the monotonic clock and expiry on the wall clock, which can jump (a laptop
 * resumes, NTP steps): so a call that finds its set inside the refresh lead, or expired, starts the
 * refresh itself ({@link freshSigner}) rather than wait for a timer that is now late.
 *
 * No Nest and no HTTP here; secrets live only in `#private` fields (of this class and of each
 * `V4Signer`), which neither `util.inspect` nor `JSON.stringify` shows.
 */
export class CredentialsProvider {
  /** `undefined` for static keys, which are never refreshed. */
  readonly #source: Extract<CredentialsSource, { kind: 'supplied' }> | undefined;
  readonly #options: CredentialsProviderOptions;
  readonly #now: () => number;
  readonly #timers: RefreshTimers;
  #current: CurrentSet;
  #refreshing: Promise<void> | undefined;
  #timer: unknown;
  #timerKind: TimerKind | undefined;
  /** Epoch ms the armed timer is for (a long wait is chained over several timers). */
  #dueAt = 0;
  /** Aborts the supplier call in flight, if any. */
  #supplying: AbortController | undefined;
  /** Refreshes failed in a row; the backoff grows with it. */
  #failures = 0;
  #lastFailure: string | undefined;
  #lastEarlyRefreshAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  private constructor(
    source: CredentialsSource,
    first: ExpiringCredentials,
    options: CredentialsProviderOptions,
  ) {
    this.#source = source.kind === 'supplied' ? source : undefined;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? SYSTEM_TIMERS;
    this.#current = this.#use(first);
  }

  /**
   * The provider of `source`: for supplied credentials, after the supplier returned a first valid
   * set, with the next refresh scheduled.
   * @throws RtcConfigurationError naming `credentials` when the first call fails or returns a set
   *   that is malformed or already expired (the boot stops)
   */
  static async start(
    source: CredentialsSource,
    options: CredentialsProviderOptions,
  ): Promise<CredentialsProvider> {
    if (source.kind === 'static') {
      return new CredentialsProvider(source, source.credentials, options);
    }
    const now = options.now ?? Date.now;
    const timers = options.timers ?? SYSTEM_TIMERS;
    let first: ExpiringCredentials;
    try {
      first = checkedSet(await supplyWithin(source, timers, new AbortController()), now());
    } catch (error) {
      throw new RtcConfigurationError([`credentials failed at boot: ${describeFailure(error)}`]);
    }
    const provider = new CredentialsProvider(source, first, options);
    provider.#scheduleAfterSuccess();
    return provider;
  }

  /**
   * The signer of the current set, for one request, at once. A set found inside its refresh lead
   * or expired starts a refresh (see {@link freshSigner}), which this does not wait for.
   * @throws RtcCredentialsExpiredError when the set expired and no new one came (nothing is sent)
   */
  signer(): V4Signer {
    this.#refreshIfDue();
    const { expiresAt, signer } = this.#current;
    if (expiresAt !== undefined && this.#now() >= expiresAt) {
      throw new RtcCredentialsExpiredError(new Date(expiresAt), this.#lastFailure);
    }
    return signer;
  }

  /**
   * The signer of the current set, for one request. A set found inside its refresh lead, or
   * expired, starts a refresh at once (or joins the one in flight; during a failed refresh's
   * backoff, the backoff's retry stands). While the set is still valid the call signs with it
   * without waiting; once it expired, the call waits for the refresh for up to `waitMs` (its own
   * deadline: the transport gives it the HTTP call's `timeoutMs`).
   * @throws RtcCredentialsExpiredError when the set expired and no new one came in that time
   *   (nothing is sent)
   */
  async freshSigner(waitMs: number): Promise<V4Signer> {
    this.#refreshIfDue();
    const refreshing = this.#refreshing;
    if (refreshing && this.#expired()) await settledWithin(refreshing, waitMs, this.#timers);
    return this.signer();
  }

  /** The access key id of the current set (not secret), e.g. for logs. */
  get accessKeyId(): string {
    return this.#current.accessKeyId;
  }

  /**
   * Asks the supplier for a new set now, or joins the refresh in flight. Resolves once it ended,
   * whether it succeeded or not (a failure is logged and retried). Static keys: nothing to do.
   */
  refresh(): Promise<void> {
    if (!this.#source || this.#closed) return Promise.resolve();
    this.#refreshing ??= this.#fetch(this.#source).finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /**
   * The upstream refused a request signed by `signer` as if its credentials were wrong or expired
   * (`InvalidAccessKey`, `SignatureDoesNotMatch`, `InvalidSecretToken`): refresh early, unless a
   * newer set already replaced that one or an early refresh ran less than a minute ago.
   */
  rejected(signer: V4Signer): void {
    if (!this.#source || this.#current.signer !== signer) return;
    const now = this.#now();
    if (now - this.#lastEarlyRefreshAt < EARLY_REFRESH_INTERVAL_MS) return;
    this.#lastEarlyRefreshAt = now;
    this.#options.logger.warn(
      `The upstream refused access key ${this.#current.accessKeyId}; asking credentials for a new set early`,
    );
    void this.refresh();
  }

  /**
   * Stops the refresh schedule; a refresh in flight ends without rescheduling. Nest calls it when
   * the app shuts down, so the supplier is not called after.
   */
  onApplicationShutdown(): void {
    this.#closed = true;
    this.#disarm();
    this.#supplying?.abort(new Error('the application is shutting down'));
  }

  #expired(): boolean {
    const { expiresAt } = this.#current;
    return expiresAt !== undefined && this.#now() >= expiresAt;
  }

  /**
   * Starts a refresh when the wall clock says the set is due, and neither a refresh nor a failed
   * one's backoff is under way: the schedule's timer may be late after a clock step.
   */
  #refreshIfDue(): void {
    const { refreshAt } = this.#current;
    if (refreshAt === undefined || this.#now() < refreshAt) return;
    if (this.#refreshing || this.#timerKind === 'backoff') return;
    void this.refresh();
  }

  async #fetch(source: Extract<CredentialsSource, { kind: 'supplied' }>): Promise<void> {
    this.#disarm();
    const supplying = new AbortController();
    this.#supplying = supplying;
    try {
      const set = checkedSet(await supplyWithin(source, this.#timers, supplying), this.#now());
      if (this.#closed) return;
      this.#current = this.#use(set);
      this.#failures = 0;
      this.#lastFailure = undefined;
      this.#scheduleAfterSuccess();
    } catch (error) {
      if (this.#closed) return;
      this.#failures++;
      this.#lastFailure = describeFailure(error);
      const delay = this.#options.backoffMs(this.#failures);
      const { expiresAt } = this.#current;
      const validity =
        expiresAt === undefined
          ? 'the current set does not expire'
          : expiresAt > this.#now()
            ? `the current set stays in use until ${new Date(expiresAt).toISOString()}`
            : `the current set expired at ${new Date(expiresAt).toISOString()}; calls fail until a refresh succeeds`;
      this.#options.logger.warn(
        `Refreshing the RTC credentials failed (${this.#failures} in a row): ${this.#lastFailure}; ` +
          `${validity}; retrying in ${delay} ms`,
      );
      this.#arm(delay, 'backoff');
    } finally {
      if (this.#supplying === supplying) this.#supplying = undefined;
    }
  }

  /**
   * The set as it is used. It is refreshed `refreshBeforeMs` ahead of expiry; a set that lives
   * less than that is refreshed halfway through its remaining life instead, so a short-lived
   * supplier is not called in a loop.
   */
  #use(set: ExpiringCredentials): CurrentSet {
    const { accessKeyId, secretAccessKey, sessionToken } = set;
    const expiresAt = set.expiresAt?.getTime();
    let refreshAt: number | undefined;
    if (expiresAt !== undefined && this.#source) {
      const now = this.#now();
      const left = expiresAt - now;
      refreshAt = now + Math.max(left - this.#source.refreshBeforeMs, left / 2);
    }
    return {
      // A copy of the three fields only: the supplier's object may hold more (and change later).
      signer: new V4Signer({ accessKeyId, secretAccessKey, sessionToken }, this.#options.scope),
      accessKeyId,
      expiresAt,
      refreshAt,
    };
  }

  #scheduleAfterSuccess(): void {
    const { refreshAt } = this.#current;
    if (refreshAt !== undefined) this.#arm(refreshAt - this.#now(), 'schedule');
  }

  #arm(delayMs: number, kind: TimerKind): void {
    if (this.#closed) return;
    this.#disarm();
    this.#timerKind = kind;
    this.#dueAt = this.#now() + delayMs;
    this.#timer = this.#timers.setTimeout(
      () => this.#onTimer(),
      Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS),
    );
  }

  #onTimer(): void {
    this.#timer = undefined;
    // The schedule is set on the wall clock, as expiry is: a long wait is chained over several
    // timers, and a clock stepped back waits the difference. A backoff is a span of time, which a
    // step of the wall clock must not stretch.
    const left = this.#timerKind === 'schedule' ? this.#dueAt - this.#now() : 0;
    if (left > 0) this.#arm(left, 'schedule');
    else {
      this.#timerKind = undefined;
      void this.refresh();
    }
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerKind = undefined;
  }
}

/**
 * One call of the supplier, failed with a `TimeoutError` when it has not settled within the
 * source's `timeoutMs` (`abort` is then aborted, and a late answer is ignored).
 */
async function supplyWithin(
  source: Extract<CredentialsSource, { kind: 'supplied' }>,
  timers: RefreshTimers,
  abort: AbortController,
): Promise<unknown> {
  let timer: unknown;
  const timedOut = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => {
      const error = new Error(`credentials did not answer within ${source.timeoutMs} ms`);
      error.name = 'TimeoutError';
      abort.abort(error);
      reject(error);
    }, source.timeoutMs);
  });
  try {
    // Through `then`: a supplier that throws synchronously fails like one that rejects.
    const answer = Promise.resolve().then(() => source.supply({ signal: abort.signal }));
    return await Promise.race([answer, timedOut]);
  } finally {
    timers.clearTimeout(timer);
  }
}

/** Resolves once `work` settled or `ms` passed, whichever comes first. */
async function settledWithin(
  work: Promise<unknown>,
  ms: number,
  timers: RefreshTimers,
): Promise<void> {
  let timer: unknown;
  try {
    await Promise.race([
      work.then(
        () => undefined,
        () => undefined,
      ),
      new Promise<void>((resolve) => (timer = timers.setTimeout(resolve, ms))),
    ]);
  } finally {
    timers.clearTimeout(timer);
  }
}

/**
 * `value` when it is a usable set at time `now`.
 * @throws Error naming the field and the rule, never a value
 */
function checkedSet(value: unknown, now: number): ExpiringCredentials {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('credentials must return an object');
  }
  const set = value as Record<keyof ExpiringCredentials, unknown>;
  const problems: string[] = [];
  if (typeof set.accessKeyId !== 'string' || set.accessKeyId === '') {
    problems.push('accessKeyId must be a non-empty string');
  }
  if (typeof set.secretAccessKey !== 'string' || set.secretAccessKey === '') {
    problems.push('secretAccessKey must be a non-empty string');
  }
  if (
    set.sessionToken !== undefined &&
    (typeof set.sessionToken !== 'string' || set.sessionToken === '')
  ) {
    problems.push('sessionToken must be a non-empty string when given');
  }
  if (set.expiresAt !== undefined) {
    if (!(set.expiresAt instanceof Date) || Number.isNaN(set.expiresAt.getTime())) {
      problems.push('expiresAt must be a valid Date when given');
    } else if (set.expiresAt.getTime() <= now) {
      problems.push(
        `expiresAt must be in the future (the set expired at ${set.expiresAt.toISOString()})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new TypeError(`credentials returned an unusable set: ${problems.join('; ')}`);
  }
  return value as ExpiringCredentials;
}

/**
 * What a failure of the user's supplier may show: the error's name and message, cut short. Never
 * the error itself (an HTTP client's error holds its request, Authorization header included).
 */
function describeFailure(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : 'a non-Error value was thrown';
  return text.length > MAX_FAILURE_CHARS ? `${text.slice(0, MAX_FAILURE_CHARS)}…` : text;
}
