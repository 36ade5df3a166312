import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { assertTakeArguments } from './assert-take-arguments';
import { answeredWithin, REDIS_DOWN_STATES } from './redis-fail-fast';
import { ArrivalHint, GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';

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
 * already arrived is read; the store's timeout does not (see `answeredWithin`).
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
 * GCRA take in one atomic script. Times come from the Redis server's clock (`TIME`, in
 * microseconds), so instances with skewed clocks still share one timeline. The key holds the TAT
 * in whole microseconds (the interval is rounded up to whole microseconds by the caller, which
 * only slows the pace by under 1 µs per unit) and expires when the TAT passes: from then on a
 * missing key decides exactly as the stored TAT would have. `string.format('%d')` writes it in
 * full; Lua's default number-to-string keeps only 14 digits, too few for microseconds since 1970.
 *
 *
 * Instances sharing a key see their calls arrive upstream at different delays after the grant,
 * and each sizes its safety margin from its own link (see `AdaptiveMargin`). Two steps make the
 * upstream see at most the limit in any second of arrivals, whichever instances send:
 * - the arrival clock: a take is decided at the time its call arrives at the earliest, Redis's
 *   clock plus the instance's earliest delay (its `ArrivalHint`), so the TAT runs on arrival
 *   times. An instance near the upstream that follows a far one is held back until its calls
 *   would arrive after the far one's, rather than granted at once and meeting them upstream.
 *   GCRA's bound does not need the times it decides at to grow: each grant needs its time to be
 *   at least `TAT - burst × interval` and pushes the TAT by an interval, so any closed span of
 *   W ms of those times still holds at most `floor(W / interval) + burst + 1` grants. The
 *   earliest delay is a round trip's, so it also holds the way back (the answer's, and Redis's
 *   reply to the take): what is left of the instances' different distances is the difference of
 *   their ways back, far less than the difference of their distances, which pacing by Redis's
 *   clock alone leaves whole; an upstream 429 widens the margin to its ceiling for the rest;
 * - the widest margin: each call then arrives within its instance's margin after its arrival
 *   time, so spans of one window plus the widest margin of any instance must be paced. The widest
 *   interval asked for in the last `ARGV[3]` ms is kept beside the TAT (KEYS[2]) and every take
 *   paces at least that slowly; an instance asking for it (or a wider one) keeps it alive.
 *   Mixing intervals over time keeps the bound of the narrowest in force (every grant pushes the
 *   TAT by at least the interval its decision used), and this makes that the widest any
 *   instance needs.
 * A take without a hint (a fixed margin, chosen to cover every instance) is decided at Redis's
 * time. The key expires when its TAT passes by Redis's clock: every arrival time is at least that,
 * so from then on a missing key decides exactly as the stored TAT would have.
 *
 * KEYS[1] = the key's TAT, KEYS[2] = the widest recent interval; ARGV = interval in µs (a whole
 * number), burst, how long a widest interval holds in ms, the earliest delay in µs (a whole
 * number; 0 without a hint).
 * Returns {1} when granted, {0, retryAfterMs} when refused.
 */
const TAKE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = clock + tonumber(ARGV[4])
local interval = tonumber(ARGV[1])
local widest = tonumber(redis.call('GET', KEYS[2]))
if widest and widest > interval then
  interval = widest
else
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local allowAt = tat - interval * tonumber(ARGV[2])
if now < allowAt then
  return {0, math.max(1, math.ceil((allowAt - now) / 1000))}
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - clock) / 1000))
return {1}
`;

/** Name under which the script is defined on the client; ioredis then sends it by EVALSHA. */
const COMMAND = 'rtcMessagingBudgetTake';

type ClientWithTake = (Redis | Cluster) & {
  [COMMAND](
    tatKey: string,
    widestKey: string,
    intervalUs: number,
    burst: number,
    holdMs: number,
    earliestUs: number,
  ): Promise<number[]>;
};

/**
 * How long the widest interval one instance asked for holds after its last take, in ms: longer
 * than an upstream window plus the widest margin (1,100 ms), so no grant shares a window with the
 * calls of an instance that needs a slower pace unless it was granted at that pace too; any
 * longer only slows every instance for nothing after the need has passed (a cold start's, say).
 */
export const WIDEST_INTERVAL_HOLD_MS = 1_500;

/**
 * A GCRA store in Redis, shared by every instance that uses the same key: per key one string, the
 * TAT, under `<keyPrefix>gcra:<key>`. (The `gcra:` part keeps it apart from the sorted sets that
 * earlier versions kept under `<keyPrefix><key>`: during a rolling upgrade the two kinds of
 * instance then pace separately rather than failing on each other's keys with WRONGTYPE.)
 */
export class RedisRateLimitStore implements RateLimitStore {
  /**
   * `#private`: an ioredis client keeps its password in `options`, which `util.inspect` and
   * `JSON.stringify` of the store (or of anything holding it) would otherwise show.
   */
  readonly #client: ClientWithTake;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;

  constructor(options: RedisRateLimitStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_BUDGET_KEY_PREFIX;
    if (this.keyPrefix.includes('}') && !HASH_TAG.test(this.keyPrefix)) {
      // The script's two keys must live in one Redis Cluster slot (see `sameSlotKey`).
      throw new RangeError("keyPrefix may contain '}' only as part of a {hash tag}");
    }
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
    client.defineCommand(COMMAND, { numberOfKeys: 2, lua: TAKE_SCRIPT });
    this.#client = client as ClientWithTake;
  }

  async tryTake(key: string, rate: GcraRate, arrival?: ArrivalHint): Promise<TakeResult> {
    assertTakeArguments(rate);
    if (arrival !== undefined && !(arrival.earliestMs >= 0 && arrival.earliestMs < Infinity)) {
      throw new RangeError('arrival.earliestMs must be a finite number ≥ 0');
    }
    // Refused at once rather than parked in ioredis's offline queue: an outage never holds callers.
    if (REDIS_DOWN_STATES.has(this.#client.status)) {
      throw new Error(`Redis connection is ${this.#client.status}`);
    }
    // Rounded up: a pace a little slower than asked never exceeds the bound it was chosen for.
    const intervalUs = Math.ceil(rate.intervalMs * 1_000);
    const tatKey = `${this.keyPrefix}gcra:${key}`;
    const reply = await answeredWithin(
      this.#client[COMMAND](
        tatKey,
        sameSlotKey(tatKey, ':widest'),
        intervalUs,
        rate.burst,
        WIDEST_INTERVAL_HOLD_MS,
        // Whole µs, rounded down: an earlier arrival time only holds this instance back more.
        arrival ? Math.floor(arrival.earliestMs * 1_000) : 0,
      ),
      this.timeoutMs,
    );
    if (reply[0] === 1) return { granted: true };
    return { granted: false, retryAfterMs: Number(reply[1]) };
  }

  /**
   * The store's Redis connection, for another part of the module to share (the inbound
   * de-duplication keeps its claims there). It stays the store's to close.
   */
  get connection(): Redis | Cluster {
    return this.#client;
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
