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

/** Returns the current credentials, synchronously or not: the `credentials` option. */
export type CredentialsSupplier = () => ExpiringCredentials | PromiseLike<ExpiringCredentials>;

/** Where the signing credentials come from, once the options are resolved. */
export type CredentialsSource =
  | { readonly kind: 'static'; readonly credentials: Credentials }
  | {
      readonly kind: 'supplied';
      readonly supply: CredentialsSupplier;
      /** How long before `expiresAt` a new set is asked for, in ms. */
      readonly refreshBeforeMs: number;
    };

/** Default of `refreshCredentialsBeforeMs`: STS sets live an hour by default, 15 minutes at least. */
export const DEFAULT_CREDENTIALS_REFRESH_BEFORE_MS = 5 * 60_000;

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
}

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
 * refresh runs at a time; until it succeeds calls keep the old set. A failed refresh is logged and
 * retried with backoff, also after the old set expired: from then on calls fail at once with
 * `RtcCredentialsExpiredError` until a refresh succeeds.
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
  /** Epoch ms the armed timer is for (a long wait is chained over several timers). */
  #dueAt = 0;
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
    let first: ExpiringCredentials;
    try {
      first = checkedSet(await source.supply(), now());
    } catch (error) {
      throw new RtcConfigurationError([`credentials failed at boot: ${describeFailure(error)}`]);
    }
    const provider = new CredentialsProvider(source, first, options);
    provider.#scheduleAfterSuccess();
    return provider;
  }

  /**
   * The signer of the current set, for one request.
   * @throws RtcCredentialsExpiredError when the set expired and no new one came (nothing is sent)
   */
  signer(): V4Signer {
    const { expiresAt, signer } = this.#current;
    if (expiresAt !== undefined && this.#now() >= expiresAt) {
      throw new RtcCredentialsExpiredError(new Date(expiresAt), this.#lastFailure);
    }
    return signer;
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
    this.#refreshing ??= this.#fetch(this.#source.supply).finally(
      () => (this.#refreshing = undefined),
    );
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
  }

  async #fetch(supply: CredentialsSupplier): Promise<void> {
    this.#disarm();
    try {
      const set = checkedSet(await supply(), this.#now());
      this.#current = this.#use(set);
      this.#failures = 0;
      this.#lastFailure = undefined;
      this.#scheduleAfterSuccess();
    } catch (error) {
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
      this.#arm(delay);
    }
  }

  #use(set: ExpiringCredentials): CurrentSet {
    const { accessKeyId, secretAccessKey, sessionToken, expiresAt } = set;
    return {
      // A copy of the three fields only: the supplier's object may hold more (and change later).
      signer: new V4Signer({ accessKeyId, secretAccessKey, sessionToken }, this.#options.scope),
      accessKeyId,
      expiresAt: expiresAt?.getTime(),
    };
  }

  /**
   * `refreshBeforeMs` ahead of expiry; a set that lives less than that is refreshed halfway
   * through its remaining life instead, so a short-lived supplier is not called in a loop.
   */
  #scheduleAfterSuccess(): void {
    const { expiresAt } = this.#current;
    if (expiresAt === undefined || !this.#source) return;
    const left = expiresAt - this.#now();
    this.#arm(Math.max(left - this.#source.refreshBeforeMs, left / 2));
  }

  #arm(delayMs: number): void {
    if (this.#closed) return;
    this.#disarm();
    this.#dueAt = this.#now() + delayMs;
    this.#timer = this.#timers.setTimeout(
      () => this.#onTimer(),
      Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS),
    );
  }

  #onTimer(): void {
    this.#timer = undefined;
    const left = this.#dueAt - this.#now();
    if (left > 0) this.#arm(left);
    else void this.refresh();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
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
