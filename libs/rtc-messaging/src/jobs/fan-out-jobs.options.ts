import type { RedisOptions } from 'ioredis';
import { RtcConfigurationError } from '../errors';
import { MAX_FAN_OUT_CONCURRENCY } from '../unicast/fan-out';

/**
 * Options of `RtcFanOutJobsModule`. Every number has a default; only `connection` is required.
 *
 * @example
 * RtcFanOutJobsModule.forRoot({ connection: 'redis://127.0.0.1:6379', concurrency: 64 })
 */
export interface RtcFanOutJobsOptions {
  /**
   * Redis for the queue and the jobs' recipients and outcomes: a `redis://` / `rediss://` URL or
   * ioredis options. Its password never appears in logs or errors.
   */
  connection: string | RedisOptions;
  /** The BullMQ queue's name. Default `rtc-fan-out`. */
  queueName?: string;
  /** BullMQ's key prefix for the queue. Default BullMQ's (`bull`). */
  prefix?: string;
  /** Prefix of the keys holding each job's recipients, outcomes and counts. Default `rtc-fan-out`. */
  keyPrefix?: string;
  /** Run a worker in this process (default `true`); `false` only accepts jobs (an API instance). */
  worker?: boolean;
  /** Calls in flight per worker process, across the slices it runs, 1 to 1,000. Default 32. */
  concurrency?: number;
  /** Slices one worker process runs at once (BullMQ worker concurrency). Default 2. */
  slicesPerWorker?: number;
  /** Recipients per slice, the unit a worker claims, 100 to 100,000. Default 1,000. */
  sliceSize?: number;
  /**
   * Slices of one job that may be queued at once: how many workers can help on one job. A finished
   * slice queues the job's next one behind every other job's, so jobs take turns. Default 8.
   */
  lanesPerJob?: number;
  /** Most recipients one job may hold. Default 1,000,000. */
  maxRecipients?: number;
  /** How long a job is kept once it has ended (completed or cancelled), in ms. Default 7 days. */
  retentionMs?: number;
  /**
   * How soon a slice whose worker died (kill -9, OOM) is picked up by another, in ms: BullMQ's lock
   * duration and stalled-check interval. Default 30,000.
   */
  recoverAfterMs?: number;
}

/** The options with every default applied. */
export type ResolvedFanOutJobsOptions = Required<Omit<RtcFanOutJobsOptions, 'prefix'>> &
  Pick<RtcFanOutJobsOptions, 'prefix'>;

export const FAN_OUT_JOBS_DEFAULTS = Object.freeze({
  queueName: 'rtc-fan-out',
  keyPrefix: 'rtc-fan-out',
  worker: true,
  concurrency: 32,
  slicesPerWorker: 2,
  sliceSize: 1_000,
  lanesPerJob: 8,
  maxRecipients: 1_000_000,
  retentionMs: 7 * 24 * 60 * 60 * 1_000,
  recoverAfterMs: 30_000,
});

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Applies the defaults and checks every option, naming each broken one (never its value: the
 * connection may hold a password).
 * @throws RtcConfigurationError listing every broken option
 */
export function resolveFanOutJobsOptions(options: RtcFanOutJobsOptions): ResolvedFanOutJobsOptions {
  const resolved = { ...FAN_OUT_JOBS_DEFAULTS, ...stripUndefined(options ?? {}) };
  // The configuration error names RtcMessagingModule; each problem names this module.
  const problems: string[] = [];
  const add = (_field: string, _rule: string, message: string) =>
    problems.push(`RtcFanOutJobsModule ${message}`);
  const { connection } = resolved as Partial<ResolvedFanOutJobsOptions>;
  if (
    !(typeof connection === 'string' && /^rediss?:\/\/\S+$/.test(connection)) &&
    !(typeof connection === 'object' && connection !== null)
  ) {
    add('connection', 'isRedisConnection', 'connection must be a redis:// URL or ioredis options');
  }
  for (const field of ['queueName', 'keyPrefix'] as const) {
    if (typeof resolved[field] !== 'string' || !NAME.test(resolved[field])) {
      add(field, 'isName', `${field} must be 1 to 100 letters, digits, _ . or -`);
    }
  }
  if (
    resolved.prefix !== undefined &&
    (typeof resolved.prefix !== 'string' || !NAME.test(resolved.prefix))
  ) {
    add('prefix', 'isName', 'prefix must be 1 to 100 letters, digits, _ . or -');
  }
  if (typeof resolved.worker !== 'boolean') add('worker', 'isBoolean', 'worker must be a boolean');
  const integer = (field: keyof typeof FAN_OUT_JOBS_DEFAULTS, min: number, max: number) => {
    const value = resolved[field];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      add(
        field,
        'isInt',
        `${field} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`,
      );
    }
  };
  integer('concurrency', 1, MAX_FAN_OUT_CONCURRENCY);
  integer('slicesPerWorker', 1, 64);
  integer('sliceSize', 100, 100_000);
  integer('lanesPerJob', 1, 1_000);
  integer('maxRecipients', 1, 100_000_000);
  integer('retentionMs', 60_000, 365 * 24 * 60 * 60 * 1_000);
  integer('recoverAfterMs', 1_000, 10 * 60 * 1_000);
  if (problems.length > 0) {
    throw new RtcConfigurationError(problems);
  }
  return resolved as ResolvedFanOutJobsOptions;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
