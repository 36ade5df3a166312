import {
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { RtcInboundConfigurationError } from '../errors/rtc-inbound-configuration.error';
import { problemsOf } from '../rtc-messaging.options';
import { IsRtcId } from '../validation';
import type { RtcEventClaimStore } from './claims/event-claim-store.interface';
import { RtcCallbackSecrets } from './rtc-callback-signature';
import type { RtcEventDelivery } from './rtc-inbound.types';

/**
 * RTC counts anything but a 200 within 5 s as a failed delivery (Volcengine docs 6348/69820); the
 * module answers by this deadline so a slow handler gets a 503 rather than a silent timeout.
 */
export const DEFAULT_INBOUND_DEADLINE_MS = 4_000;
/**
 * A route's path: literal segments only. Nest reads a middleware's path as a pattern, where `:`,
 * `*`, `{`, `}` and the like mean parameters and wildcards; a callback URL needs none of them.
 */
const ROUTE_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const ROUTE_PATH_RULE = 'path must start with / and hold only letters, digits, . _ ~ - and /';

/** Events are small JSON documents; 256 KB leaves room for the largest documented ones. */
export const DEFAULT_EVENT_MAX_BODY_BYTES = 262_144;
/**
 * A client message is at most 64 KB (docs 6348/142432), but a text escaped as `\uXXXX` in JSON
 * grows up to six times, and base64 by a third: 512 KB holds either with its envelope.
 */
export const DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES = 524_288;
/** RTC delivers an event at most 3 times; a claim kept a day outlives any retry. */
export const DEFAULT_CLAIM_TTL_MS = 86_400_000;
/** Events remembered by the in-memory store at most; the oldest go first. */
export const DEFAULT_MEMORY_MAX_EVENTS = 100_000;
/** Prefix of the de-duplication keys in Redis. */
export const DEFAULT_INBOUND_REDIS_KEY_PREFIX = 'rtc-messaging:inbound:';

/**
 * The app's own check of a client message's `signature`: the sender's user id when it proves
 * one, or `false` to refuse the message (401). May be async; bounded by the route's deadline.
 */
export type RtcSenderVerifier = (
  signature: string,
  body: { readonly message: string; readonly binary: boolean },
) => string | false | Promise<string | false>;

/** The event-callback route (the callback URL set in the RTC console). */
export class RtcEventCallbackOptions {
  /** Path of the route, e.g. `/v1/rtc/events` (the app's global prefix applies). */
  @Matches(ROUTE_PATH, { message: ROUTE_PATH_RULE })
  @IsString()
  path!: string;

  /**
   * The callback secret set in the RTC console. Absent: the route answers 503 "not configured"
   * (RTC retries), so an app can mount it before it has one. Never logged, never in an error.
   */
  @IsOptional()
  @IsNotEmpty()
  @IsString()
  callbackSecret?: string;

  /** The previous secret, accepted too while the console's secret is being rotated. */
  @IsOptional()
  @IsNotEmpty()
  @IsString()
  secondaryCallbackSecret?: string;

  /** Largest body accepted, in bytes (1 to 16 MiB); larger is 413. Default 262,144 (256 KB). */
  @IsOptional()
  @Max(16_777_216)
  @Min(1)
  @IsInt()
  maxBodyBytes?: number;

  /**
   * How long a delivery may wait for its handler (or for a concurrent delivery's) before it is
   * answered 503 while the handler keeps running, in ms (1 to 60,000). Default 4,000: under
   * RTC's 5-second limit.
   */
  @IsOptional()
  @Max(60_000)
  @Min(1)
  @IsInt()
  deadlineMs?: number;
}

/** The client-message route (the URL clients pass to `setServerParams`). */
export class RtcClientMessageOptions {
  /** Path of the route, e.g. `/v1/rtc/client-messages` (the app's global prefix applies). */
  @Matches(ROUTE_PATH, { message: ROUTE_PATH_RULE })
  @IsString()
  path!: string;

  /**
   * Who sent a message, from its `signature`: `'rtc-token'` (default) accepts any valid login or
   * room token of the module's AppId, checked with `RtcTokenService` (the module needs an
   * `appKey`; without one the route answers 503), and gives its user id; a function is the
   * app's own check; `'none'` turns verification off (handlers get no `userId`), and must be
   * said explicitly.
   */
  @IsOptional()
  verifySender?: 'rtc-token' | 'none' | RtcSenderVerifier;

  /** Accept a token whose `expiresAt` is 0 (no expiry of its own). Default `false`. */
  @IsOptional()
  @IsBoolean()
  acceptTokensWithoutExpiry?: boolean;

  /**
   * Largest body accepted, in bytes (1 to 16 MiB); larger is 413. Default 524,288 (512 KB):
   * see `DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES`.
   */
  @IsOptional()
  @Max(16_777_216)
  @Min(1)
  @IsInt()
  maxBodyBytes?: number;

  /** How long the answer may wait for the handler before a 503, in ms (1 to 60,000). Default 4,000. */
  @IsOptional()
  @Max(60_000)
  @Min(1)
  @IsInt()
  deadlineMs?: number;
}

/** How events are de-duplicated by `EventId`. */
export class RtcDeduplicationOptions {
  /**
   * How long a handled event is remembered (from when its handler succeeded), in ms (1 s to 30
   * days). Default 86,400,000 (24 h): longer than RTC's retries.
   */
  @IsOptional()
  @Max(2_592_000_000)
  @Min(1_000)
  @IsInt()
  claimTtlMs?: number;

  /**
   * Where claims are kept. Default: Redis when `RtcMessagingModule`'s budget has one (its
   * connection, so every instance sharing the budget shares the claims), else this process's
   * memory.
   */
  @IsOptional()
  store?: RtcEventClaimStore;

  /** Most events the in-memory store remembers; the oldest go first. Default 100,000. */
  @IsOptional()
  @Min(1)
  @IsInt()
  memoryMaxEvents?: number;

  /** Prefix of the claims' keys in Redis. Default `rtc-messaging:inbound:`. */
  @IsOptional()
  @IsNotEmpty()
  @IsString()
  redisKeyPrefix?: string;
}

/**
 * Options of `RtcInboundModule.forRoot` / `forRootAsync`. At least one route must be given.
 *
 * @example
 * RtcInboundModule.forRoot({
 *   events: { path: '/v1/rtc/events', callbackSecret: process.env.RTC_CALLBACK_SECRET },
 *   clientMessages: { path: '/v1/rtc/client-messages' },
 * });
 */
export class RtcInboundModuleOptions {
  /** The event-callback route; absent: none. */
  @IsOptional()
  events?: RtcEventCallbackOptions;

  /** The client-message route; absent: none. */
  @IsOptional()
  clientMessages?: RtcClientMessageOptions;

  /**
   * The AppIds whose events are accepted (an event of another is refused with 403). Default:
   * `RtcMessagingModule`'s `appId`.
   */
  @IsOptional()
  @IsRtcId({ each: true })
  @IsArray()
  appIds?: string[];

  /** De-duplication of events. */
  @IsOptional()
  deduplication?: RtcDeduplicationOptions;

  /**
   * Serve the routes at the HTTP server, ahead of the app's middleware, body parsers and router,
   * instead of as Nest middleware (default `false`). Their paths are then exact (the global prefix
   * does not apply), the app's body parser cannot read their bodies first (the module's limits
   * always hold before a body is read whole), and a delivery costs what the module does, not
   * what the app's middleware chain does too (its request logger, for one, does not see them).
   */
  @IsOptional()
  @IsBoolean()
  serveBeforeAppMiddleware?: boolean;

  /**
   * Called for every verified delivery of an event of a served AppId, duplicates included, with
   * its outcome (e.g. to count deliveries). Must not throw; it is not awaited.
   */
  @IsOptional()
  onEventDelivery?: (delivery: RtcEventDelivery) => void;
}

/** The event route after validation. */
export interface ResolvedEventRoute {
  readonly path: string;
  /** `undefined`: the route answers 503 "not configured". Never shows its secrets. */
  readonly secrets: RtcCallbackSecrets | undefined;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
}

/** The client-message route after validation. */
export interface ResolvedClientMessageRoute {
  readonly path: string;
  readonly verifySender: 'rtc-token' | 'none' | RtcSenderVerifier;
  readonly acceptTokensWithoutExpiry: boolean;
  readonly maxBodyBytes: number;
  readonly deadlineMs: number;
}

/** Options after validation, with every default applied (AppIds resolved by the module). */
export interface ResolvedRtcInboundOptions {
  readonly events: ResolvedEventRoute | undefined;
  readonly clientMessages: ResolvedClientMessageRoute | undefined;
  readonly appIds: readonly string[] | undefined;
  readonly deduplication: {
    readonly claimTtlMs: number;
    readonly store: RtcEventClaimStore | undefined;
    readonly memoryMaxEvents: number;
    readonly redisKeyPrefix: string;
  };
  readonly onEventDelivery: ((delivery: RtcEventDelivery) => void) | undefined;
  readonly serveBeforeAppMiddleware: boolean;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

function nestedProblems<T extends object>(
  schema: new () => T,
  value: unknown,
  name: string,
): string[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [`${name} must be an object`];
  return problemsOf(schema, value, `${name}.`);
}

const isClaimStore = (value: unknown): value is RtcEventClaimStore =>
  isObject(value) &&
  ['claim', 'state', 'complete', 'release'].every(
    (method) => typeof (value as Record<string, unknown>)[method] === 'function',
  );

/**
 * Validates the options once, at boot.
 * @throws RtcInboundConfigurationError naming each missing or malformed option, never its value
 */
export function resolveInboundOptions(raw: unknown): ResolvedRtcInboundOptions {
  if (!isObject(raw)) throw new RtcInboundConfigurationError(['options must be an object']);
  const { events, clientMessages, deduplication, onEventDelivery, ...rest } =
    raw as RtcInboundModuleOptions;
  const problems = problemsOf(RtcInboundModuleOptions, rest);
  problems.push(...nestedProblems(RtcEventCallbackOptions, events, 'events'));
  problems.push(...nestedProblems(RtcClientMessageOptions, clientMessages, 'clientMessages'));
  problems.push(...nestedProblems(RtcDeduplicationOptions, deduplication, 'deduplication'));
  if (events === undefined && clientMessages === undefined) {
    problems.push('events or clientMessages must be given: the module has no route otherwise');
  }
  const verifySender = clientMessages?.verifySender;
  if (
    verifySender !== undefined &&
    verifySender !== 'rtc-token' &&
    verifySender !== 'none' &&
    typeof verifySender !== 'function'
  ) {
    problems.push("clientMessages.verifySender must be 'rtc-token', 'none' or a function");
  }
  if (deduplication?.store !== undefined && !isClaimStore(deduplication.store)) {
    problems.push(
      'deduplication.store must be an RtcEventClaimStore (claim, state, complete, release)',
    );
  }
  if (onEventDelivery !== undefined && typeof onEventDelivery !== 'function') {
    problems.push('onEventDelivery must be a function');
  }
  if (
    events !== undefined &&
    clientMessages !== undefined &&
    isObject(events) &&
    isObject(clientMessages) &&
    events.path === clientMessages.path
  ) {
    problems.push('events.path and clientMessages.path must differ');
  }
  if (problems.length > 0) throw new RtcInboundConfigurationError(problems);

  return {
    events: events && {
      path: events.path,
      secrets:
        events.callbackSecret === undefined
          ? undefined
          : new RtcCallbackSecrets(events.callbackSecret, events.secondaryCallbackSecret),
      maxBodyBytes: events.maxBodyBytes ?? DEFAULT_EVENT_MAX_BODY_BYTES,
      deadlineMs: events.deadlineMs ?? DEFAULT_INBOUND_DEADLINE_MS,
    },
    clientMessages: clientMessages && {
      path: clientMessages.path,
      verifySender: clientMessages.verifySender ?? 'rtc-token',
      acceptTokensWithoutExpiry: clientMessages.acceptTokensWithoutExpiry ?? false,
      maxBodyBytes: clientMessages.maxBodyBytes ?? DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES,
      deadlineMs: clientMessages.deadlineMs ?? DEFAULT_INBOUND_DEADLINE_MS,
    },
    appIds: rest.appIds,
    deduplication: {
      claimTtlMs: deduplication?.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS,
      store: deduplication?.store,
      memoryMaxEvents: deduplication?.memoryMaxEvents ?? DEFAULT_MEMORY_MAX_EVENTS,
      redisKeyPrefix: deduplication?.redisKeyPrefix ?? DEFAULT_INBOUND_REDIS_KEY_PREFIX,
    },
    onEventDelivery,
    serveBeforeAppMiddleware: rest.serveBeforeAppMiddleware ?? false,
  };
}
