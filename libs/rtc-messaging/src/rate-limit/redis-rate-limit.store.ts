import { randomBytes } from 'node:crypto';
import { Cluster, Redis, RedisOptions } from 'ioredis';
import { assertTakeArguments } from './assert-take-arguments';
import { RateLimitStore, TakeResult } from './rate-limit-store.interface';

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
 * command timeout) rather than fail; a connection lost later fails takes at once (see below).
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  /** Fail a queued command after one reconnection attempt, not ioredis's default 20. */
  maxRetriesPerRequest: 1,
  /** Give up on any command after this long. */
  commandTimeout: DEFAULT_REDIS_TIMEOUT_MS,
  /** Give up on a connection attempt after this long (ioredis default: 10 s). */
  connectTimeout: 2_000,
} as const satisfies RedisOptions;

interface CommonOptions {
  /** Prefix of every key the store writes; defaults to `rtc-messaging:budget:`. */
  keyPrefix?: string;
  /** A take not answered within this many ms rejects; defaults to 250. */
  timeoutMs?: number;
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
 * Sliding-log take in one atomic script. Grant times come from the Redis server's clock (`TIME`,
 * in microseconds), so instances with skewed clocks still share one timeline. Each grant is a
 * member of a sorted set, scored by its time; a full set refuses, so it never holds more than
 * `limit` members, and it expires one window after the last grant.
 *
 * KEYS[1] = the key's log; ARGV = limit, window in ms, a member unique to this grant.
 * Returns {1} when granted, {0, retryAfterMs} when refused.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {0, math.max(1, math.ceil((oldest + window - now) / 1000))}
`;

/** Name under which the script is defined on the client; ioredis then sends it by EVALSHA. */
const COMMAND = 'rtcMessagingBudgetTake';

type ClientWithTake = (Redis | Cluster) & {
  [COMMAND](key: string, limit: number, windowMs: number, member: string): Promise<number[]>;
};

/**
 * Connection states in which ioredis would park a command in its offline queue until the
 * connection returns; the store refuses at once instead, so an outage never holds callers.
 */
const DOWN_STATES = new Set(['reconnecting', 'disconnecting', 'close', 'end']);

/** An exact sliding-log store in Redis, shared by every instance that uses the same key. */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: ClientWithTake;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  /** Members must be unique across instances and within one: a random id plus a counter. */
  private readonly memberPrefix = randomBytes(6).toString('base64url');
  private sequence = 0;

  constructor(options: RedisRateLimitStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_BUDGET_KEY_PREFIX;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');

    let client: Redis | Cluster;
    if ('client' in options) {
      client = options.client;
      this.ownsClient = false;
    } else {
      client = new Redis(options.url, {
        ...FAIL_FAST_REDIS_OPTIONS,
        commandTimeout: this.timeoutMs,
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
    client.defineCommand(COMMAND, { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.client = client as ClientWithTake;
  }

  async tryTake(key: string, limit: number, windowMs: number): Promise<TakeResult> {
    assertTakeArguments(limit, windowMs);
    if (DOWN_STATES.has(this.client.status)) {
      throw new Error(`Redis connection is ${this.client.status}`);
    }
    const member = `${this.memberPrefix}:${(this.sequence = (this.sequence + 1) % 2 ** 52)}`;
    const reply = await this.withTimeout(
      this.client[COMMAND](this.keyPrefix + key, limit, windowMs, member),
    );
    if (reply[0] === 1) return { granted: true };
    return { granted: false, retryAfterMs: Number(reply[1]) };
  }

  /** Quits the client if the store opened it; a shared client is left to its owner. */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  /**
   * Bounds a take even on a shared client configured to wait (ioredis defaults queue commands
   * through 20 reconnections). A take that times out may still land; that only spends a unit.
   */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)),
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
