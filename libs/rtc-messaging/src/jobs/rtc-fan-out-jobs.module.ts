import {
  DynamicModule,
  Inject,
  Module,
  ModuleMetadata,
  OnApplicationShutdown,
} from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Redis } from 'ioredis';
import { FanOutJobStore } from './fan-out-job.store';
import {
  RTC_FAN_OUT_JOBS_OPTIONS,
  RTC_FAN_OUT_JOBS_REDIS,
  RTC_FAN_OUT_QUEUE,
} from './fan-out-jobs.constants';
import {
  FAN_OUT_JOBS_DEFAULTS,
  resolveFanOutJobsOptions,
  ResolvedFanOutJobsOptions,
  RtcFanOutJobsOptions,
} from './fan-out-jobs.options';
import { FanOutJobs } from './fan-out-jobs.service';
import { FanOutSliceWorker } from './fan-out-slice.worker';
import { JobsErrorLog } from './jobs-error-log';
import { JobsRedisCalls } from './jobs-redis-calls';
import { bullConnection, createJobsRedis } from './redis-connection';

/**
 * `forRootAsync` options. `queueName` is given here, not by the factory: the queue's provider
 * token is made from it when the module is declared.
 *
 * @example
 * { queueName: 'notifications', imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ connection: config.getOrThrow('REDIS_URL') }) }
 */
export interface RtcFanOutJobsAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** The BullMQ queue's name. Default `rtc-fan-out`. */
  readonly queueName?: string;
  readonly inject?: unknown[];
  readonly useFactory: (
    ...args: never[]
  ) => Omit<RtcFanOutJobsOptions, 'queueName'> | Promise<Omit<RtcFanOutJobsOptions, 'queueName'>>;
  /** Make `FanOutJobs` injectable everywhere without importing this module. */
  readonly isGlobal?: boolean;
}

/** Holds the resolved options, so both this module and BullMQ's queue registration read them. */
@Module({})
class RtcFanOutJobsOptionsModule {}

/** Closes the client of the jobs' keys once the worker and queue are through. */
class JobsRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(RTC_FAN_OUT_JOBS_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    // QUIT would wait in ioredis' offline queue for a Redis that is down.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

/**
 * Fan-outs as durable jobs on BullMQ (`@nestjs/bullmq`): inject `FanOutJobs`. Needs
 * `RtcMessagingModule` registered with `isGlobal: true` (the workers send through its
 * `UnicastService`), and ideally its budget in Redis (`rateLimit.redis`) so that every worker
 * process shares one per-AppId budget.
 *
 * @example Static options
 * RtcFanOutJobsModule.forRoot({ connection: 'redis://127.0.0.1:6379', concurrency: 64 })
 *
 * @example Options from `@nestjs/config`, an API instance that runs no worker
 * RtcFanOutJobsModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     connection: config.getOrThrow('REDIS_URL'),
 *     worker: config.get('WORKER') !== 'false',
 *   }),
 * })
 */
@Module({})
export class RtcFanOutJobsModule {
  /** Registers the queue and, unless `worker: false`, its worker, with static options. */
  static forRoot(options: RtcFanOutJobsOptions & { isGlobal?: boolean }): DynamicModule {
    const { isGlobal, queueName, ...rest } = options ?? ({} as RtcFanOutJobsOptions);
    return this.forRootAsync({ isGlobal, queueName, useFactory: () => rest });
  }

  /** Registers the queue and its worker with options from a factory (e.g. `ConfigService`). */
  static forRootAsync(options: RtcFanOutJobsAsyncOptions): DynamicModule {
    const queueName = options.queueName ?? FAN_OUT_JOBS_DEFAULTS.queueName;
    const optionsModule: DynamicModule = {
      module: RtcFanOutJobsOptionsModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: RTC_FAN_OUT_JOBS_OPTIONS,
          inject: (options.inject ?? []) as never[],
          // Validated once, when the app boots: a bad option stops the boot naming the option.
          useFactory: async (...args: never[]) =>
            resolveFanOutJobsOptions({ ...(await options.useFactory(...args)), queueName }),
        },
      ],
      exports: [RTC_FAN_OUT_JOBS_OPTIONS],
    };
    return {
      module: RtcFanOutJobsModule,
      global: options.isGlobal ?? false,
      imports: [
        optionsModule,
        BullModule.registerQueueAsync({
          name: queueName,
          imports: [optionsModule],
          inject: [RTC_FAN_OUT_JOBS_OPTIONS],
          useFactory: ({ connection, prefix }: ResolvedFanOutJobsOptions) => ({
            connection: bullConnection(connection),
            ...(prefix === undefined ? {} : { prefix }),
          }),
        }),
      ],
      providers: [
        {
          provide: RTC_FAN_OUT_JOBS_REDIS,
          inject: [RTC_FAN_OUT_JOBS_OPTIONS],
          useFactory: ({ connection }: ResolvedFanOutJobsOptions) => createJobsRedis(connection),
        },
        {
          provide: FanOutJobStore,
          inject: [RTC_FAN_OUT_JOBS_REDIS, RTC_FAN_OUT_JOBS_OPTIONS],
          useFactory: (redis: Redis, { keyPrefix }: ResolvedFanOutJobsOptions) =>
            new FanOutJobStore(redis, keyPrefix),
        },
        { provide: RTC_FAN_OUT_QUEUE, useExisting: getQueueToken(queueName) },
        JobsRedisCloser,
        JobsErrorLog,
        JobsRedisCalls,
        FanOutJobs,
        FanOutSliceWorker,
      ],
      exports: [FanOutJobs],
    };
  }
}
