import type { Cluster, Redis } from 'ioredis';
import { answeredWithin, REDIS_DOWN_STATES } from '../../rate-limit/redis-fail-fast';
import type { RedisClientLike } from '../../rate-limit/rate-limit.options';
import { DEFAULT_REDIS_TIMEOUT_MS } from '../../rate-limit/redis-rate-limit.store';
import {
  RtcEventClaim,
  RtcEventClaimState,
  RtcEventClaimStore,
} from './event-claim-store.interface';

/** The value of a handled claim; a running one is `running:<owner>`. */
const HANDLED = 'handled';
const runningValue = (owner: string): string => `running:${owner}`;

const CLAIMED: RtcEventClaim = Object.freeze({ claimed: true });
const HANDLED_CLAIM: RtcEventClaim = Object.freeze({ claimed: false, state: 'handled' });
const RUNNING_CLAIM: RtcEventClaim = Object.freeze({ claimed: false, state: 'running' });

/** Extends the lease if the claim is still the owner's. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;
/** Marks handled unless another owner holds the claim (this owner's lease lapsed meanwhile). */
const COMPLETE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value == false or value == ARGV[1] then
  redis.call('SET', KEYS[1], 'handled', 'PX', ARGV[2])
  return 1
end
return 0
`;
/** Deletes the claim if it is still the owner's. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** A command not answered in time: it may still land. */
class RedisTimeoutError extends Error {
  override readonly name = 'RedisTimeoutError';
}

type ClientWithScripts = (Redis | Cluster) & {
  rtcInboundRenew(key: string, value: string, leaseMs: number): Promise<number>;
  rtcInboundComplete(key: string, value: string, ttlMs: number): Promise<number>;
  rtcInboundRelease(key: string, value: string): Promise<number>;
};

/** Options of `RedisEventClaimStore`. */
export interface RedisEventClaimStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` client (e.g. the budget's); the store never connects or quits
   * it. Typed structurally so that these declarations compile without ioredis (an optional peer).
   */
  readonly client: RedisClientLike;
  /** Prefix of every key; e.g. `rtc-messaging:inbound:`. */
  readonly keyPrefix: string;
  /** A command not answered within this many ms rejects. Default 250. */
  readonly timeoutMs?: number;
}

/**
 * Claims in Redis, shared by every instance on it: a claim is `SET key running:<owner> NX PX
 * lease`, then `handled` with the claim's TTL, or deleted on failure (compare-and-set scripts, so
 * an instance never undoes another's claim). Every command has a time limit, and a connection
 * that is down fails at once: a delivery then gets a non-200 (RTC retries), never a hang.
 */
export class RedisEventClaimStore implements RtcEventClaimStore {
  /** `#private`: an ioredis client keeps its password in `options`, which inspect would show. */
  readonly #client: ClientWithScripts;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;

  constructor(options: RedisEventClaimStoreOptions) {
    this.keyPrefix = options.keyPrefix;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    const client = options.client as ClientWithScripts;
    client.defineCommand('rtcInboundRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    client.defineCommand('rtcInboundComplete', { numberOfKeys: 1, lua: COMPLETE_SCRIPT });
    client.defineCommand('rtcInboundRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.#client = client;
  }

  /**
   * `SET NX PX`; when taken, a `GET` says how it stands. No `async` here: it runs once per
   * delivery, and each `await` costs a promise (and a hook call where the app keeps async
   * context). A `SET` that timed out may still land: it is then undone (`release`, sent behind it
   * on the same connection), or the event would stay claimed by nobody for a lease while RTC's
   * retries wait for it.
   */
  claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim> {
    const redisKey = this.keyOf(key);
    return this.limited(() =>
      this.#client.set(redisKey, runningValue(owner), 'PX', leaseMs, 'NX'),
    ).then(
      (set) => (set === 'OK' ? CLAIMED : this.standingOf(redisKey, owner, leaseMs)),
      (error: unknown) => {
        if (error instanceof RedisTimeoutError) this.release(key, owner).catch(() => undefined);
        throw error;
      },
    );
  }

  /** After a lost `SET NX`: handled or running; a claim gone meanwhile is taken after all. */
  private async standingOf(
    redisKey: string,
    owner: string,
    leaseMs: number,
  ): Promise<RtcEventClaim> {
    const value = await this.limited(() => this.#client.get(redisKey));
    if (value === HANDLED) return HANDLED_CLAIM;
    if (value !== null) return RUNNING_CLAIM;
    // Released or expired between the two commands: one more try, then it counts as running.
    const set = await this.limited(() =>
      this.#client.set(redisKey, runningValue(owner), 'PX', leaseMs, 'NX'),
    );
    if (set === 'OK') return CLAIMED;
    return (await this.limited(() => this.#client.get(redisKey))) === HANDLED
      ? HANDLED_CLAIM
      : RUNNING_CLAIM;
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    const reply = await this.limited(() =>
      this.#client.rtcInboundRenew(this.keyOf(key), runningValue(owner), leaseMs),
    );
    return reply === 1;
  }

  async state(key: string): Promise<RtcEventClaimState> {
    const value = await this.limited(() => this.#client.get(this.keyOf(key)));
    return value === null ? undefined : value === HANDLED ? 'handled' : 'running';
  }

  async complete(key: string, owner: string, ttlMs: number): Promise<void> {
    await this.limited(() =>
      this.#client.rtcInboundComplete(this.keyOf(key), runningValue(owner), ttlMs),
    );
  }

  async release(key: string, owner: string): Promise<void> {
    await this.limited(() => this.#client.rtcInboundRelease(this.keyOf(key), runningValue(owner)));
  }

  private keyOf(key: string): string {
    return `${this.keyPrefix}${key}`;
  }

  /**
   * Sends `command` within the time limit, or not at all while the connection is down: queued
   * offline, it could land after its delivery was answered, and claim behind RTC's retry.
   */
  private limited<T>(command: () => Promise<T>): Promise<T> {
    if (REDIS_DOWN_STATES.has(this.#client.status)) {
      return Promise.reject(new Error(`Redis connection is ${this.#client.status}`));
    }
    return answeredWithin(
      command(),
      this.timeoutMs,
      () => new RedisTimeoutError(`Redis did not answer within ${this.timeoutMs} ms`),
    );
  }
}
