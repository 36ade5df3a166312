import type { ConnectionOptions, RedisOptions as BullRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** BullMQ's connection options for a `redis://` URL or ioredis options. */
export function bullConnection(connection: string | RedisOptions): ConnectionOptions {
  // ioredis' options are BullMQ's Redis options, but their retry strategy types differ slightly.
  return typeof connection === 'string'
    ? { url: connection }
    : ({ ...connection } as BullRedisOptions);
}

/** The client of the jobs' own keys (recipients, outcomes, checkpoints). */
export function createJobsRedis(connection: string | RedisOptions): Redis {
  return typeof connection === 'string' ? new Redis(connection) : new Redis({ ...connection });
}
