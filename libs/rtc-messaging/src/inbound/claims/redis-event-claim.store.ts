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

  async claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim> {
    const redisKey = this.keyOf(key);
    // Twice at most: a claim gone between the two commands (released, expired) is taken after all.
    for (let attempt = 1; ; attempt++) {
      const set = await this.limited(() =>
        this.#client.set(redisKey, runningValue(owner), 'PX', leaseMs, 'NX'),
      );
      if (set === 'OK') return { claimed: true };
      const value = await this.limited(() => this.#client.get(redisKey));
      if (value === HANDLED) return { claimed: false, state: 'handled' };
      if (value !== null || attempt === 2) return { claimed: false, state: 'running' };
    }
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
    return answeredWithin(command(), this.timeoutMs);
  }
}
