import type { Cluster, Redis, RedisOptions } from 'ioredis';
import {
  assertTakeArguments,
  RateLimitStore,
  ReleaseOptions,
  TakeResult,
  UPSTREAM_WINDOW_MS,
} from './rate-limit-store.interface';

/** Prefix of the store's keys unless told otherwise. */
export const DEFAULT_BUDGET_KEY_PREFIX = 'rtc-messaging:budget:';

/**
 * How long one take may wait for Redis. A take is one round trip (well under a millisecond in one
 * data centre); 250 ms leaves room for a loaded Redis yet fails long before a caller's `maxWaitMs`.
 */
export const DEFAULT_REDIS_TIMEOUT_MS = 250;

/**
 * ioredis options that make a dead Redis fail commands quickly instead of queueing them for
 * minutes. The store applies them to the clients it creates; pass them to a client you share too.
 * The offline queue stays on so the first takes after boot wait for the connection (bounded by the
 * store's own timeout) rather than fail; a connection lost later fails takes at once (see below).
 * There is no ioredis `commandTimeout`: after an event-loop stall it fires before the reply that
 * already arrived is read; the store's timeout does not (see `withTimeout`).
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  /** Fail a queued command after one reconnection attempt, not ioredis's default 20. */
  maxRetriesPerRequest: 1,
  /** Give up on a connection attempt after this long (ioredis default: 10 s). */
  connectTimeout: 2_000,
} as const satisfies RedisOptions;

interface CommonOptions {
  /** Prefix of every key the store writes; defaults to `rtc-messaging:budget:`. */
  keyPrefix?: string;
  /** A take or release not answered within this many ms rejects; defaults to 250. */
  timeoutMs?: number;
  /** The upstream's window, in ms; defaults to 1,000. For tests. */
  windowMs?: number;
}

/** Either a client you own and close, or a URL from which the store opens (and closes) its own. */
export type RedisRateLimitStoreOptions = CommonOptions &
  (
    | {
        /** An ioredis client (or cluster) to share; the store never connects or quits it. */
        client: Redis | Cluster;
      }
    | {
        /** `redis://` or `rediss://` URL; the store opens a client with fail-fast options. */
        url: string;
        /** Extra ioredis options (TLS, username, db…), applied over the fail-fast ones. */
        redisOptions?: RedisOptions;
      }
  );

/**
 * A take in one atomic script: drops the places whose hold has passed, grants a place when fewer
 * than the limit are held, else says when the first may free. Every time is Redis's clock
 * (`TIME`, in µs), for takes and releases alike, so the instances' clocks and their distances
 * from Redis and from the upstream do not matter: a take dated at Redis comes before its request
 * leaves, and a release dated at Redis comes after its answer, both on the safe side of the bound
 * (see `WindowPlaces`). Scores are whole µs, written with `string.format('%d')`: Lua's default
 * number-to-string keeps only 14 digits, too few for µs since 1970. The key expires with its
 * latest hold, so a key whose places all passed is gone, which decides as a key never seen.
 *
 * A bulk take leaves room for interactive ones (`bulkLimit`, the same rule as in memory): it needs
 * fewer places held than the limit, less one, less the interactive places held (kept apart in a
 * second sorted set, so they are counted without a scan).
 *
 * KEYS[1] = the key's sorted set (member = place id, score = hold-until in µs), KEYS[2] = its
 * interactive places; ARGV = id, limit, hold in µs (whole), window in µs (whole), 1 for a bulk
 * take (else 0).
 * Returns {1, now in µs} when granted (the take's Redis time, from which its release is dated:
 * see `release-dating.ts`), {0, retryAfterMs} when refused.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local past = string.format('%d', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', past)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', past)
local held = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
local bulk = ARGV[5] == '1'
if bulk and limit > 1 then
  limit = math.max(1, limit - 1 - redis.call('ZCARD', KEYS[2]))
end
if held < limit then
  local hold = tonumber(ARGV[3])
  local holdMs = math.ceil(hold / 1000)
  local untilUs = string.format('%d', now + hold)
  redis.call('ZADD', KEYS[1], untilUs, ARGV[1])
  if redis.call('PTTL', KEYS[1]) < holdMs then redis.call('PEXPIRE', KEYS[1], holdMs) end
  if not bulk then
    redis.call('ZADD', KEYS[2], untilUs, ARGV[1])
    if redis.call('PTTL', KEYS[2]) < holdMs then redis.call('PEXPIRE', KEYS[2], holdMs) end
  end
  return {1, now}
end
local wait = tonumber(ARGV[4])
if held > 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.min(wait, tonumber(first[2]) - now)
end
return {0, math.max(1, math.ceil(wait / 1000))}
`;

/**
 * A release: the place, if still held, is held until one window after its call ended, by Redis's
 * clock. When the call ended is the earlier of the script's own time (after the answer: the release
 * was sent once the answer was seen) and the caller's dated answer, the take's Redis time plus the
 * local time from sending the take to seeing the answer (proved no earlier than the answer in
 * `release-dating.ts`). Both are at or after the answer, so the earlier is too: the bound holds, and
 * a release that reaches Redis late (event-loop lag, a queue at Redis) no longer holds its place
 * for that delay.
 *
 * A first release sets the hold whether it is earlier or later than the in-flight one (a call that
 * outran its provisional hold, after a long stall, must still be held until its answer plus the
 * window). A retry only brings it earlier: the first may have landed, and the retry, dated by a
 * later arrival, would otherwise lengthen an already-released place's hold.
 *
 * KEYS = the key's two sorted sets (see the take); ARGV = id, window in µs (whole), dated answer
 * in µs (whole, or '' when undated), '1' for a retry (else '0').
 */
const RELEASE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ended = now
if ARGV[3] ~= '' then ended = math.min(now, tonumber(ARGV[3])) end
local untilUs = ended + tonumber(ARGV[2])
local retry = ARGV[4] == '1'
for _, key in ipairs(KEYS) do
  local current = redis.call('ZSCORE', key, ARGV[1])
  if current and (not retry or untilUs < tonumber(current)) then
    if untilUs <= now then
      redis.call('ZREM', key, ARGV[1])
    else
      redis.call('ZADD', key, string.format('%d', untilUs), ARGV[1])
      local ms = math.ceil((untilUs - now) / 1000)
      if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
    end
  end
end
return 1
`;

/** Names under which the scripts are defined on the client; ioredis then sends them by EVALSHA. */
const TAKE = 'rtcMessagingPlaceTake';
const RELEASE = 'rtcMessagingPlaceRelease';

type ClientWithScripts = (Redis | Cluster) & {
  [TAKE](
    key: string,
    interactiveKey: string,
    id: string,
    limit: number,
    holdUs: number,
    windowUs: number,
    bulk: 0 | 1,
  ): Promise<number[]>;
  [RELEASE](
    key: string,
    interactiveKey: string,
    id: string,
    windowUs: number,
    answeredByUs: number | '',
    retry: 0 | 1,
  ): Promise<number>;
};

/**
 * Connection states in which ioredis would park a command in its offline queue until the
 * connection returns; the store refuses at once instead, so an outage never holds callers.
 */
const DOWN_STATES = new Set(['reconnecting', 'disconnecting', 'close', 'end']);

/**
 * The places of each key's window in Redis, shared by every instance that uses the same key: per
 * key one sorted set under `<keyPrefix>places:<key>`, each place's id scored by its hold-until,
 * and one of its interactive places beside it (`:interactive`, in the same Redis Cluster slot:
 * see `sameSlotKey`). (The `places:` part keeps them apart from the keys of earlier versions,
 * `gcra:` strings and plain sorted sets: during a rolling upgrade the two kinds of instance then
 * pace separately rather than failing on each other's keys with WRONGTYPE.)
 */
export class RedisRateLimitStore implements RateLimitStore {
  /**
   * `#private`: an ioredis client keeps its password in `options`, which `util.inspect` and
   * `JSON.stringify` of the store (or of anything holding it) would otherwise show.
   */
  readonly #client: ClientWithScripts;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private readonly windowMs: number;

  constructor(options: RedisRateLimitStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_BUDGET_KEY_PREFIX;
    if (this.keyPrefix.includes('}') && !HASH_TAG.test(this.keyPrefix)) {
      // The scripts' two keys must live in one Redis Cluster slot (see `sameSlotKey`).
      throw new RangeError("keyPrefix may contain '}' only as part of a {hash tag}");
    }
    this.windowMs = options.windowMs ?? UPSTREAM_WINDOW_MS;
    if (!(this.windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');

    let client: Redis | Cluster;
    if ('client' in options) {
      client = options.client;
      this.ownsClient = false;
    } else {
      // ioredis is an optional peer: it is loaded only when the module opens a client of its own.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
      client = new RedisClient(options.url, {
        ...FAIL_FAST_REDIS_OPTIONS,
        // ioredis arms this timer on disconnect even when the socket is already gone (Redis
        // down) and nothing clears it then; 2 s by default would hold the process up on shutdown.
        disconnectTimeout: 200,
        ...options.redisOptions,
      });
      // Failures reach callers through rejected takes; without a listener ioredis would also
      // print every reconnection error to the console.
      client.on('error', () => undefined);
      this.ownsClient = true;
    }
    client.defineCommand(TAKE, { numberOfKeys: 2, lua: TAKE_SCRIPT });
    client.defineCommand(RELEASE, { numberOfKeys: 2, lua: RELEASE_SCRIPT });
    this.#client = client as ClientWithScripts;
  }

  async tryTake(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk = false,
  ): Promise<TakeResult> {
    assertTakeArguments(limit, holdMs, this.windowMs);
    this.assertUp();
    const placesKey = this.placesKey(key);
    const reply = await this.withTimeout(
      this.#client[TAKE](
        placesKey,
        sameSlotKey(placesKey, ':interactive'),
        id,
        limit,
        // Whole µs, rounded up: a place held a little longer only errs on the safe side.
        Math.ceil(holdMs * 1_000),
        Math.ceil(this.windowMs * 1_000),
        bulk ? 1 : 0,
      ),
    );
    // The script's time in µs; in ms it keeps µs as a fraction (well within a double's precision).
    if (reply[0] === 1) return { granted: true, takenAt: Number(reply[1]) / 1_000 };
    return { granted: false, retryAfterMs: Number(reply[1]) };
  }

  async release(key: string, id: string, options: ReleaseOptions = {}): Promise<void> {
    this.assertUp();
    const placesKey = this.placesKey(key);
    const { answeredBy, onlyEarlier } = options;
    await this.withTimeout(
      this.#client[RELEASE](
        placesKey,
        sameSlotKey(placesKey, ':interactive'),
        id,
        Math.ceil(this.windowMs * 1_000),
        // Whole µs, rounded up: later only errs on the safe side.
        answeredBy === undefined ? '' : Math.ceil(answeredBy * 1_000),
        onlyEarlier ? 1 : 0,
      ),
    );
  }

  /** Quits the client if the store opened it; a shared client is left to its owner. */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.#client.status === 'ready') {
      await this.#client.quit().catch(() => this.#client.disconnect());
    } else {
      this.#client.disconnect();
    }
  }

  private placesKey(key: string): string {
    return `${this.keyPrefix}places:${key}`;
  }

  /** Refuses at once while the connection is down, instead of queueing in ioredis. */
  private assertUp(): void {
    if (DOWN_STATES.has(this.#client.status)) {
      throw new Error(`Redis connection is ${this.#client.status}`);
    }
  }

  /**
   * Bounds a take even on a shared client configured to wait (ioredis defaults queue commands
   * through 20 reconnections). A take that times out may still land; that only holds a place no call uses, until its hold passes. A release that times out leaves the place held until then too: later than needed, never earlier.
   */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // After an event-loop stall the timer fires in the same turn as the socket's pending reply;
      // setImmediate lets the poll phase read that reply first, so a stall is not a timeout.
      const timer = setTimeout(
        () =>
          setImmediate(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`))),
        this.timeoutMs,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/** A Redis Cluster hash tag: the first `{`, then a non-empty run up to the first `}`. */
const HASH_TAG = /^[^{]*\{[^}]+\}/;

/**
 * A key in the same Redis Cluster slot as `key`: one with a hash tag shares it by its tag; one
 * without is hashed whole, which `{key}` as a tag reproduces.
 */
export function sameSlotKey(key: string, suffix: string): string {
  return HASH_TAG.test(key) ? `${key}${suffix}` : `{${key}}${suffix}`;
}
