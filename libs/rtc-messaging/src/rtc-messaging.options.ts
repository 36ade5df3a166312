import type { LoggerService } from '@nestjs/common';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';
import { RtcConfigurationError } from './errors';
import { CALL_BUDGET_DEFAULTS } from './rate-limit/call-budget';
import { BudgetKey, budgetKeyOf, RateLimitOptions } from './rate-limit/rate-limit.options';
import { DEFAULT_RETRY_OPTIONS, ResolvedRetryOptions, RetryOptions } from './retry/retry.options';
import {
  Credentials,
  CredentialsSource,
  CredentialsSupplier,
  DEFAULT_CREDENTIALS_REFRESH_BEFORE_MS,
  DEFAULT_CREDENTIALS_TIMEOUT_MS,
} from './signing';
import { DEFAULT_ENDPOINT, DEFAULT_REGION, DEFAULT_TIMEOUT_MS } from './rtc-openapi.constants';
import { IsRtcId, toFieldViolations } from './validation';
import { IsSecureEndpoint } from './secure-endpoint.validator';
import { httpOptionProblems, ResolvedHttpOptions, RtcHttpOptions } from './transport/http.options';
import {
  IsAppKey,
  ResolvedTokenOptions,
  resolveTokenOptions,
  tokenOptionProblems,
} from './token-service/token-options';
import { MAX_TOKEN_TTL_SECONDS } from './token-service/token-defaults';
import { loggerOptionProblem, resolveLogger, RtcLogger } from './telemetry/rtc-logger';

/** How long shutdown waits for the calls in flight by default, in ms. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * Options of `RtcMessagingModule.forRoot` / `forRootAsync`.
 *
 * @example
 * RtcMessagingModule.forRoot({
 *   accessKeyId: process.env.VOLC_ACCESSKEY!,
 *   secretAccessKey: process.env.VOLC_SECRETKEY!,
 *   appId: '661e000000000000000543cf',
 *   from: 'server_bot',
 * });
 */
export class RtcMessagingModuleOptions {
  /**
   * Volcengine access key id (`AKLT…`, or `AKTP…` for STS credentials). Required unless
   * `credentials` is given.
   */
  @ValidateIf((options: RtcMessagingModuleOptions) => options.credentials === undefined)
  @IsString()
  @IsNotEmpty()
  accessKeyId?: string;

  /** Volcengine secret access key. Never logged, never in an error. Required unless `credentials`. */
  @ValidateIf((options: RtcMessagingModuleOptions) => options.credentials === undefined)
  @IsString()
  @IsNotEmpty()
  secretAccessKey?: string;

  /** STS session token, sent as `X-Security-Token`. Never logged, never in an error. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  sessionToken?: string;

  /**
   * Instead of the three options above: a function returning `{ accessKeyId, secretAccessKey,
   * sessionToken?, expiresAt? }` (or a promise of it), for STS credentials that expire and for keys
   * rotated without a restart. Called at boot (a failure stops the boot), again
   * `refreshCredentialsBeforeMs` ahead of `expiresAt`, and early (at most once a minute) when the
   * upstream refuses the current set; one call at a time, calls keep the old set until a new one
   * came. A call may take `credentialsTimeoutMs` (it gets an `AbortSignal` for that). Failures and
   * timeouts are logged and retried with backoff (1 s doubling up to a minute); a call that finds
   * the set due or expired (the wall clock jumped) asks at once. Once a set expired without a
   * successor, calls fail with `RtcCredentialsExpiredError`. `rateLimit.key: 'account'` needs the static keys
   * (a key function gets `accessKeyId: ''`).
   */
  credentials?: CredentialsSupplier;

  /**
   * How long before a set's `expiresAt` the `credentials` function is called again, in ms (0 to
   * 86,400,000). Default 300,000 (5 minutes).
   */
  @IsOptional()
  @Max(86_400_000)
  @Min(0)
  @IsInt()
  refreshCredentialsBeforeMs?: number;

  /**
   * How long one call of the `credentials` function may take, in ms (1 to 300,000), at boot and
   * on every refresh; a call still pending then counts as failed (and its `signal` is aborted).
   * Default 30,000.
   */
  @IsOptional()
  @Max(300_000)
  @Min(1)
  @IsInt()
  credentialsTimeoutMs?: number;

  /** The default RTC AppId of every call; follows the id rule (1 to 128 of `a-zA-Z0-9_@-.`). */
  @IsRtcId()
  appId!: string;

  /** The default sender id (`From`) of every call; must not equal a real user's id. */
  @IsRtcId()
  from!: string;

  /** Signing region. Default `cn-north-1`. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  region?: string;

  /**
   * OpenAPI endpoint. Default `https://rtc.volcengineapi.com`. `http://` only on a loopback host
   * (`127.0.0.0/8`, `::1`, `localhost`) unless `allowInsecureEndpoint` is true.
   */
  @IsOptional()
  @IsSecureEndpoint()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  endpoint?: string;

  /**
   * Allow an `http://` endpoint on a host other than loopback, e.g. a TLS-terminating sidecar on
   * a private network. Off by default: over plain HTTP the session token (`X-Security-Token`) and
   * every message travel in clear text. Default `false`.
   */
  @IsOptional()
  @IsBoolean()
  allowInsecureEndpoint?: boolean;

  /**
   * HTTP settings of the calls: your own agents, or options of the module's keep-alive agents, a
   * CA bundle, and a proxy (a CONNECT tunnel; the environment's proxy variables are read only with
   * `proxy: 'env'`). Default: direct, with Node's CA roots.
   */
  http?: RtcHttpOptions;

  /** Time allowed for one HTTP call, in ms. Default 10,000 (as the official SDKs). */
  // class-validator runs the lowest decorator first; with stopAtFirstError the type check must run first.
  @IsOptional()
  @Max(300_000)
  @Min(1)
  @IsInt()
  timeoutMs?: number;

  /**
   * The shared budget of calls per second (default: 500/s per AppId, in memory). Give it a Redis
   * to share it between instances; `false` turns pacing off.
   */
  rateLimit?: RateLimitOptions | false;

  /** Retrying of failures that surely did not deliver (default: 3 attempts within 10 s). */
  retry?: RetryOptions;

  /**
   * The app's AppKey (RTC console → the app), which signs the access tokens `RtcTokenService`
   * makes. Only needed for tokens. Never logged, never in an error.
   */
  @IsOptional()
  @IsAppKey()
  appKey?: string;

  /**
   * The app's other AppKey, during a rotation: `verifyToken` accepts tokens signed with either;
   * new tokens are signed with `appKey`.
   */
  @IsOptional()
  @IsAppKey()
  secondaryAppKey?: string;

  /** How long a token is valid unless the call says, in seconds (1 to 604,800). Default 86,400. */
  @IsOptional()
  @Max(MAX_TOKEN_TTL_SECONDS)
  @Min(1)
  @IsInt()
  tokenTtlSeconds?: number;

  /**
   * Where the module's log lines go: a Nest `LoggerService` (e.g. nestjs-pino's `Logger`), called
   * with the context `RtcMessaging`, or `false` for none. Default: Nest's `Logger` with context
   * `RtcMessaging`, which follows `app.useLogger(...)`. Failures and retries are summarized: at
   * most one line per error code per 10 s.
   */
  logger?: LoggerService | false;

  /**
   * On shutdown, how long the calls in flight may take to complete before the module closes its
   * sockets and its Redis, in ms (0 to 300,000); calls arriving meanwhile are refused with
   * `RtcShuttingDownError`. Default 10,000.
   */
  @IsOptional()
  @Max(300_000)
  @Min(0)
  @IsInt()
  shutdownGraceMs?: number;
}

/** The budget after validation, with every default applied. */
export interface ResolvedRateLimitOptions
  extends
    Required<Pick<RateLimitOptions, 'perSecond' | 'maxWaitMs' | 'maxQueued' | 'onRedisError'>>,
    Pick<RateLimitOptions, 'redis' | 'redisKeyPrefix' | 'instances'> {
  /** The budget key of a call to `appId`. */
  readonly keyOf: (appId: string) => string;
}

/** Options after validation, with every default applied. */
export interface ResolvedRtcMessagingOptions {
  /** The static keys, or the `credentials` function with its refresh lead; never shown. */
  readonly credentials: CredentialsSource;
  readonly appId: string;
  readonly from: string;
  readonly region: string;
  readonly endpoint: URL;
  readonly timeoutMs: number;
  readonly rateLimit: ResolvedRateLimitOptions | false;
  readonly retry: ResolvedRetryOptions;
  /** The AppKeys (they sign and check tokens, and never show); `undefined` without `appKey`. */
  readonly appKeys: ResolvedTokenOptions['appKeys'];
  readonly tokenTtlSeconds: number;
  /** Agents, CA bundle and proxy of the calls; the proxy URL does not show. */
  readonly http: ResolvedHttpOptions;
  /** Where the module logs (a silent logger with `logger: false`). */
  readonly logger: RtcLogger;
  readonly shutdownGraceMs: number;
}

/**
 * Credentials whose secrets do not show when the object is logged, inspected (even with
 * `showHidden`) or serialized, so a stray `console.log(options)` cannot leak them: they live in
 * `#private` fields, read through getters on the prototype, which neither shows.
 */
class RedactedCredentials implements Credentials {
  readonly accessKeyId: string;
  readonly #secretAccessKey: string;
  readonly #sessionToken?: string;

  constructor({ accessKeyId, secretAccessKey, sessionToken }: Credentials) {
    this.accessKeyId = accessKeyId;
    this.#secretAccessKey = secretAccessKey;
    this.#sessionToken = sessionToken;
  }

  get secretAccessKey(): string {
    return this.#secretAccessKey;
  }

  get sessionToken(): string | undefined {
    return this.#sessionToken;
  }
}

/**
 * The resolved budget. `redis` (a URL with its password, or a client whose options hold it) is
 * `#private` behind a getter, for the same reason as the credentials' secrets.
 */
class ResolvedRateLimit implements ResolvedRateLimitOptions {
  readonly perSecond: number;
  readonly maxWaitMs: number;
  readonly maxQueued: number;
  readonly onRedisError: ResolvedRateLimitOptions['onRedisError'];
  readonly redisKeyPrefix?: string;
  readonly instances?: number;
  readonly keyOf: (appId: string) => string;
  readonly #redis: RateLimitOptions['redis'];

  constructor({ redis, ...options }: ResolvedRateLimitOptions) {
    this.perSecond = options.perSecond;
    this.maxWaitMs = options.maxWaitMs;
    this.maxQueued = options.maxQueued;
    this.onRedisError = options.onRedisError;
    this.redisKeyPrefix = options.redisKeyPrefix;
    this.instances = options.instances;
    this.keyOf = options.keyOf;
    this.#redis = redis;
  }

  get redis(): RateLimitOptions['redis'] {
    return this.#redis;
  }
}

/**
 * Validates `raw` as an instance of `schema`; problems are named `prefix.option`. The options are
 * copied shallowly, not through class-transformer, which would clone an ioredis client given in
 * `rateLimit.redis`.
 */
export function problemsOf<T extends object>(
  schema: new () => T,
  raw: object,
  prefix = '',
): string[] {
  const errors: ValidationError[] = validateSync(Object.assign(new schema(), raw), {
    forbidUnknownValues: true,
    // One problem per option is enough to fix it.
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  return toFieldViolations(errors).map((v) => `${prefix}${v.message}`);
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Validates the options once, at boot.
 * @throws RtcConfigurationError naming each missing or malformed option, never its value.
 */
export function resolveOptions(raw: unknown): ResolvedRtcMessagingOptions {
  if (!isObject(raw)) throw new RtcConfigurationError(['options must be an object']);
  const { rateLimit, retry, logger, http, ...rest } = raw as RtcMessagingModuleOptions;
  const problems = problemsOf(RtcMessagingModuleOptions, rest);
  const loggerProblem = loggerOptionProblem(logger);
  if (loggerProblem) problems.push(loggerProblem);
  if (rateLimit !== undefined && rateLimit !== false) {
    if (isObject(rateLimit))
      problems.push(...problemsOf(RateLimitOptions, rateLimit, 'rateLimit.'));
    else problems.push('rateLimit must be an object or false');
  }
  if (retry !== undefined) {
    if (isObject(retry)) problems.push(...problemsOf(RetryOptions, retry, 'retry.'));
    else problems.push('retry must be an object');
  }
  if (http !== undefined) {
    if (isObject(http)) problems.push(...problemsOf(RtcHttpOptions, http, 'http.'));
    else problems.push('http must be an object');
  }
  problems.push(...credentialsOptionProblems(rest, rateLimit));
  // Cross-option rules, once each option is well-formed on its own.
  if (problems.length === 0) {
    problems.push(...tokenOptionProblems(rest));
    problems.push(...httpOptionProblems(http ?? {}, endpointOf(rest)));
  }
  if (problems.length > 0) throw new RtcConfigurationError(problems);

  const options = rest as RtcMessagingModuleOptions;
  return {
    credentials: options.credentials
      ? {
          kind: 'supplied',
          supply: options.credentials,
          refreshBeforeMs:
            options.refreshCredentialsBeforeMs ?? DEFAULT_CREDENTIALS_REFRESH_BEFORE_MS,
          timeoutMs: options.credentialsTimeoutMs ?? DEFAULT_CREDENTIALS_TIMEOUT_MS,
        }
      : { kind: 'static', credentials: new RedactedCredentials(options as Credentials) },
    appId: options.appId,
    from: options.from,
    region: options.region ?? DEFAULT_REGION,
    endpoint: endpointOf(options),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rateLimit:
      rateLimit === false ? false : resolveRateLimit(rateLimit ?? {}, options.accessKeyId ?? ''),
    retry: { ...DEFAULT_RETRY_OPTIONS, ...stripUndefined(retry ?? {}) },
    ...resolveTokenOptions(options),
    http: new ResolvedHttpOptions(http ?? {}, endpointOf(options)),
    logger: resolveLogger(logger),
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
  };
}

/** Static keys or `credentials`, never both; what only static keys allow. */
function credentialsOptionProblems(
  options: RtcMessagingModuleOptions,
  rateLimit: RtcMessagingModuleOptions['rateLimit'],
): string[] {
  if (options.credentials === undefined) {
    return (['refreshCredentialsBeforeMs', 'credentialsTimeoutMs'] as const)
      .filter((name) => options[name] !== undefined)
      .map((name) => `${name} is only used with credentials`);
  }
  if (typeof options.credentials !== 'function') {
    return ['credentials must be a function returning { accessKeyId, secretAccessKey, ... }'];
  }
  const problems: string[] = [];
  const staticKeys = (['accessKeyId', 'secretAccessKey', 'sessionToken'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (staticKeys.length > 0) {
    problems.push(`credentials replaces ${staticKeys.join(', ')}: give one or the other`);
  }
  if (isObject(rateLimit) && rateLimit.key === 'account') {
    problems.push(
      "rateLimit.key 'account' needs a static accessKeyId: with credentials, give a key function",
    );
  }
  return problems;
}

const endpointOf = (options: Pick<RtcMessagingModuleOptions, 'endpoint'>): URL =>
  new URL(options.endpoint ?? DEFAULT_ENDPOINT);

function resolveRateLimit(
  options: RateLimitOptions,
  accessKeyId: string,
): ResolvedRateLimitOptions {
  const key: BudgetKey = options.key ?? 'appId';
  return new ResolvedRateLimit({
    perSecond: options.perSecond ?? CALL_BUDGET_DEFAULTS.perSecond,
    maxWaitMs: options.maxWaitMs ?? CALL_BUDGET_DEFAULTS.maxWaitMs,
    maxQueued: options.maxQueued ?? CALL_BUDGET_DEFAULTS.maxQueued,
    onRedisError: options.onRedisError ?? 'fail-closed',
    redis: options.redis,
    redisKeyPrefix: options.redisKeyPrefix,
    instances: options.instances,
    keyOf: (appId) => budgetKeyOf(key, appId, accessKeyId),
  });
}

/** `{ a: undefined }` must not override a default when spread. */
const stripUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
