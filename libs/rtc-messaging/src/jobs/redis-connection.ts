import type { ConnectionOptions, RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { FAIL_FAST_REDIS_OPTIONS } from '../rate-limit/redis-rate-limit.store';

/** BullMQ's connection options for a `redis://` URL or ioredis options. */
export function bullConnection(connection: string | RedisOptions): ConnectionOptions {
  // ioredis' options are BullMQ's Redis options, but their retry strategy types differ slightly.
  return typeof connection === 'string'
    ? { url: connection }
    : ({ ...connection } as BullRedisOptions);
}

/**
 * ioredis arms this timer on disconnect even when the socket is already gone (Redis down) and
 * nothing clears it then; its 2 s default would hold the process up on shutdown.
 */
const DISCONNECT_TIMEOUT_MS = 200;

/**
 * The client of the jobs' own keys (recipients, outcomes, checkpoints), with the budget store's
 * fail-fast options under the caller's: a command fails after one reconnection attempt, not
 * ioredis's 20 (about 10 s), and a connection attempt after 2 s. A worker's slice that fails so
 * is retried by BullMQ (`sliceJobOptions`), skipping what has an outcome.
 */
export function createJobsRedis(connection: string | RedisOptions): Redis {
  return typeof connection === 'string'
    ? new Redis(connection, {
        ...FAIL_FAST_REDIS_OPTIONS,
        disconnectTimeout: DISCONNECT_TIMEOUT_MS,
      })
    : new Redis({
        ...FAIL_FAST_REDIS_OPTIONS,
        disconnectTimeout: DISCONNECT_TIMEOUT_MS,
        ...connection,
      });
}
