import { DEFAULT_REGION, MESSAGING_CALLS_PER_SECOND } from '../../rtc-openapi.constants';
import { Credentials } from '../../signing';

/**
 * The key pair every emulator accepts unless told otherwise. It is not a real Volcengine key: the
 * `AKLT` prefix only mimics the shape of long-term access keys.
 */
export const EMULATOR_DEMO_CREDENTIALS: Readonly<Credentials> = Object.freeze({
  accessKeyId: 'AKLTemulatorDemoKey',
  secretAccessKey: 'emulatorDemoSecret',
});

/**
 * Largest request body the emulator reads. Real messaging bodies stay far below it (64 KB message,
 * or 600 ids of 128 characters), so anything larger is a client bug and is refused with 413 before
 * it is buffered.
 */
export const MAX_REQUEST_BODY_BYTES = 1_048_576;

/** What the rate limit counts calls against. */
export type RateLimitKey = 'appId' | 'accessKey';

/**
 * When a call is counted against its rate window: `'receipt'` when the request reaches the
 * emulator (after any arrival jitter), `'answer'` only when its answer is written (after the
 * processing cost and any latency fault). A client's pacing must hold under both: a real gateway
 * may count anywhere between the two.
 */
export type CountAt = 'receipt' | 'answer';

/** The emulator's clock by default: epoch milliseconds with sub-millisecond precision. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** Options of {@link RtcOpenApiEmulator}. Every field is optional. */
export interface RtcOpenApiEmulatorOptions {
  /**
   * Access keys the emulator knows; any other gets `InvalidAccessKey`. A credential with a
   * `sessionToken` also requires that exact `X-Security-Token`. Default: only
   * {@link EMULATOR_DEMO_CREDENTIALS}.
   */
  readonly credentials?: readonly Credentials[];
  /**
   * AppIds that exist; any other gets `InvalidParameter.NotExistAppId`. Default: every non-empty
   * AppId exists.
   */
  readonly appIds?: readonly string[];
  /**
   * Most calls allowed in any one-second window, summed over the four messaging actions, before
   * `FlowLimitExceeded.QPSOverLimit` (HTTP 429). Default 500 (the documented ceiling). `0` or
   * `null` turns the limit off.
   */
  readonly rateLimitPerSecond?: number | null;
  /**
   * Whose budget a call spends: `'appId'` (the 2023-07-20 docs: per AppId, the default) or
   * `'accessKey'` (the usage-limits page: per account, shared by all its AppIds).
   */
  readonly rateLimitKey?: RateLimitKey;
  /** How far X-Date may be from the emulator's clock, either way. Default 15 minutes. */
  readonly maxClockSkewMs?: number;
  /** Region the signatures must be scoped to. Default `cn-north-1`. */
  readonly region?: string;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /**
   * How many accepted messages {@link RtcOpenApiEmulator.accepted} keeps (oldest dropped first);
   * the `acceptedCount` counter keeps counting. Bounds memory under long benchmarks. `0` keeps
   * none. Default 10,000.
   */
  readonly recordLimit?: number;
  /**
   * How long an idle keep-alive connection stays open, in ms; the server announces it in
   * `Keep-Alive: timeout=N`. Default 65,000 (longer than common client idle timeouts, as load
   * balancers set it). Tests lower it to check that clients retire sockets before the server
   * closes them.
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Delays each request by a random time, uniform in `[0, N]` ms, after it was read and BEFORE
   * anything looks at it (signature, rate window): one-way jitter, so arrivals bunch and reorder
   * as on a real network, and the rate window counts them when they "arrive". Default 0.
   */
  readonly arrivalJitterMs?: number;
  /**
   * Where the rate window counts a call: at `'receipt'` (the default) or at `'answer'` (see
   * {@link CountAt}).
   */
  readonly countAt?: CountAt;
  /**
   * CPU the emulator burns on each call, in microseconds, after receipt and before the answer
   * (and before the count with `countAt: 'answer'`): a gateway's signature check, parsing and
   * logging. Requests queue behind it as they would at a busy gateway. Default 0.
   */
  readonly processingUs?: number;
  /**
   * Every `stallEveryMs` the emulator's own event loop blocks for `stallMs` (busy-waits: nothing
   * is read, counted or answered meanwhile), as a gateway's garbage collection or a noisy
   * neighbour does. Both or neither; default none.
   */
  readonly stallEveryMs?: number;
  /** How long each stall of {@link stallEveryMs} blocks, in ms. */
  readonly stallMs?: number;
  /**
   * The clock, in epoch milliseconds, used for X-Date skew, the rate window, `receivedAt` and
   * `countedAt`. Tests inject one to move time without waiting. Default: the wall clock at
   * sub-millisecond precision (`performance.timeOrigin + performance.now()`), so the window is
   * exact to the microsecond. The processing cost and stalls always burn real time.
   */
  readonly now?: () => number;
}

/** {@link RtcOpenApiEmulatorOptions} with every default applied and checked. */
export interface ResolvedEmulatorOptions {
  readonly credentials: readonly Credentials[];
  readonly appIds: ReadonlySet<string> | undefined;
  /** `undefined` when the limit is off. */
  readonly rateLimitPerSecond: number | undefined;
  readonly rateLimitKey: RateLimitKey;
  readonly maxClockSkewMs: number;
  readonly region: string;
  readonly host: string;
  readonly port: number;
  readonly recordLimit: number;
  readonly keepAliveTimeoutMs: number;
  readonly arrivalJitterMs: number;
  readonly countAt: CountAt;
  readonly processingUs: number;
  /** Both 0 when there are no stalls. */
  readonly stallEveryMs: number;
  readonly stallMs: number;
  readonly now: () => number;
}

const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;
const DEFAULT_RECORD_LIMIT = 10_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `RtcOpenApiEmulator: ${name} must be a non-negative integer, got ${value}`,
    );
  }
  return value;
}

/** Applies defaults; throws a `RangeError`/`TypeError` on values the emulator cannot honour. */
export function resolveEmulatorOptions(
  options: RtcOpenApiEmulatorOptions = {},
): ResolvedEmulatorOptions {
  const credentials = options.credentials ?? [EMULATOR_DEMO_CREDENTIALS];
  for (const c of credentials) {
    if (!c.accessKeyId || !c.secretAccessKey) {
      throw new TypeError(
        'RtcOpenApiEmulator: every credential needs accessKeyId and secretAccessKey',
      );
    }
  }
  const rate = options.rateLimitPerSecond;
  const rateLimitKey = options.rateLimitKey ?? 'appId';
  if (rateLimitKey !== 'appId' && rateLimitKey !== 'accessKey') {
    throw new TypeError(`RtcOpenApiEmulator: rateLimitKey must be 'appId' or 'accessKey'`);
  }
  const maxClockSkewMs = options.maxClockSkewMs ?? FIFTEEN_MINUTES_MS;
  if (!(maxClockSkewMs >= 0)) {
    throw new RangeError(`RtcOpenApiEmulator: maxClockSkewMs must be >= 0, got ${maxClockSkewMs}`);
  }
  const countAt = options.countAt ?? 'receipt';
  if (countAt !== 'receipt' && countAt !== 'answer') {
    throw new TypeError(`RtcOpenApiEmulator: countAt must be 'receipt' or 'answer'`);
  }
  const stallEveryMs = nonNegativeInteger('stallEveryMs', options.stallEveryMs ?? 0);
  const stallMs = nonNegativeInteger('stallMs', options.stallMs ?? 0);
  if ((stallEveryMs === 0) !== (stallMs === 0)) {
    throw new RangeError(
      'RtcOpenApiEmulator: stallEveryMs and stallMs go together (both above 0, or neither)',
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`RtcOpenApiEmulator: port must be 0..65535, got ${port}`);
  }
  return {
    credentials,
    appIds: options.appIds ? new Set(options.appIds) : undefined,
    rateLimitPerSecond:
      rate === undefined
        ? MESSAGING_CALLS_PER_SECOND
        : rate === null
          ? undefined
          : nonNegativeInteger('rateLimitPerSecond', rate) || undefined,
    rateLimitKey,
    maxClockSkewMs,
    region: options.region ?? DEFAULT_REGION,
    host: options.host ?? '127.0.0.1',
    port,
    recordLimit: nonNegativeInteger('recordLimit', options.recordLimit ?? DEFAULT_RECORD_LIMIT),
    keepAliveTimeoutMs: nonNegativeInteger(
      'keepAliveTimeoutMs',
      options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    ),
    arrivalJitterMs: nonNegativeInteger('arrivalJitterMs', options.arrivalJitterMs ?? 0),
    countAt,
    processingUs: nonNegativeInteger('processingUs', options.processingUs ?? 0),
    stallEveryMs,
    stallMs,
    now: options.now ?? preciseNow,
  };
}
