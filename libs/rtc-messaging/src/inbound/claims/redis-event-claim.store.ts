import type { Cluster, Redis } from 'ioredis';
import { answeredWithin, REDIS_DOWN_STATES } from '../../rate-limit/redis-fail-fast';
import type { RedisClientLike } from '../../rate-limit/rate-limit.options';
import { DEFAULT_REDIS_TIMEOUT_MS } from '../../rate-limit/redis-rate-limit.store';
import {
  RtcEventClaim,
  RtcEventClaimState,
  RtcEventClaimStore,
} from './event-claim-store.interface';
import { TurnBatch } from './turn-batch';

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
/**
 * Claims each key `SET NX PX` (`ARGV[2i-1]` its value, `ARGV[2i]` its lease): the i-th reply is 1
 * when claimed, else the value that holds it (`handled` or `running:<owner>`). Atomic, so a claim
 * never goes between a lost `SET` and the look at who holds it.
 */
const CLAIM_SCRIPT = `
local replies = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[2 * i - 1], 'PX', ARGV[2 * i], 'NX') then
    replies[i] = 1
  else
    replies[i] = redis.call('GET', key)
  end
end
return replies
`;
/**
 * Marks each key handled (`ARGV[2i-1]` its running value, `ARGV[2i]` its TTL) unless another owner
 * holds it (this owner's lease lapsed meanwhile).
 */
const COMPLETE_SCRIPT = `
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value == false or value == ARGV[2 * i - 1] then
    redis.call('SET', key, 'handled', 'PX', ARGV[2 * i])
  end
end
return #KEYS
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

/** One key of a batched script: its value and its lease or TTL. */
interface KeyedItem {
  readonly key: string;
  readonly value: string;
  readonly ms: number;
}

type ClientWithScripts = (Redis | Cluster) & {
  /** `numberOfKeys`, the keys, then a value and a time per key. */
  rtcInboundClaim(...args: Array<string | number>): Promise<Array<1 | string>>;
  rtcInboundComplete(...args: Array<string | number>): Promise<number>;
  rtcInboundRenew(key: string, value: string, leaseMs: number): Promise<number>;
  rtcInboundRelease(key: string, value: string): Promise<number>;
};

/** The arguments of a batched script: `numberOfKeys`, the keys, then a value and a time each. */
function scriptArgs(items: readonly KeyedItem[]): Array<string | number> {
  const args: Array<string | number> = [items.length];
  for (const item of items) args.push(item.key);
  for (const item of items) args.push(item.value, item.ms);
  return args;
}

/** The most keys one batched script takes: its run stays short (Redis runs one thing at a time). */
const MAX_BATCH_KEYS = 100;

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
 * an instance never undoes another's claim). The claims, and the completions, made in one turn
 * of the event loop go to Redis as one script call (one key each on a Cluster). Every command has
 * a time limit, and a connection that is down fails at once: a delivery then gets a non-200 (RTC
 * retries), never a hang.
 */
export class RedisEventClaimStore implements RtcEventClaimStore {
  /** `#private`: an ioredis client keeps its password in `options`, which inspect would show. */
  readonly #client: ClientWithScripts;
  private readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private readonly claims: TurnBatch<KeyedItem, 1 | string>;
  private readonly completions: TurnBatch<KeyedItem, void>;

  constructor(options: RedisEventClaimStoreOptions) {
    this.keyPrefix = options.keyPrefix;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    const client = options.client as ClientWithScripts;
    // Without `numberOfKeys`: each call says how many keys it passes.
    client.defineCommand('rtcInboundClaim', { lua: CLAIM_SCRIPT });
    client.defineCommand('rtcInboundComplete', { lua: COMPLETE_SCRIPT });
    client.defineCommand('rtcInboundRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    client.defineCommand('rtcInboundRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.#client = client;
    // A Cluster spreads the keys over slots, and a script's keys must share one: one key each.
    const maxKeys = 'isCluster' in client && client.isCluster ? 1 : MAX_BATCH_KEYS;
    this.claims = new TurnBatch(
      (items) => this.limited(() => client.rtcInboundClaim(...scriptArgs(items))),
      maxKeys,
    );
    this.completions = new TurnBatch(
      (items) =>
        // Nothing to answer each: a completion either landed, or the batch failed.
        this.limited(() => client.rtcInboundComplete(...scriptArgs(items))).then(() => []),
      maxKeys,
    );
  }

  /**
   * `SET NX PX`, or who holds it, in one script; the claims of one event-loop turn go together
   * (`TurnBatch`). A claim that timed out may still land: it is then undone (`release`, sent
   * behind it on the same connection), or the event would stay claimed by nobody for a lease
   * while RTC's retries wait for it.
   */
  claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim> {
    return this.claims.add({ key: this.keyOf(key), value: runningValue(owner), ms: leaseMs }).then(
      (reply) => (reply === 1 ? CLAIMED : reply === HANDLED ? HANDLED_CLAIM : RUNNING_CLAIM),
      (error: unknown) => {
        if (error instanceof RedisTimeoutError) this.release(key, owner).catch(() => undefined);
        throw error;
      },
    );
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

  /** Marks handled; the completions of one event-loop turn go together (`TurnBatch`). */
  async complete(key: string, owner: string, ttlMs: number): Promise<void> {
    await this.completions.add({ key: this.keyOf(key), value: runningValue(owner), ms: ttlMs });
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
