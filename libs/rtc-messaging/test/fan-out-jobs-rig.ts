import { randomUUID } from 'node:crypto';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import type { FanOutJobProgress } from '../src/jobs/fan-out-job.types';
import type { RtcFanOutJobsOptions } from '../src/jobs/fan-out-jobs.options';
import type { FanOutJobs } from '../src/jobs/fan-out-jobs.service';
import { RtcFanOutJobsModule } from '../src/jobs/rtc-fan-out-jobs.module';
import type { RtcMessagingModuleOptions } from '../src/rtc-messaging.options';
import { RtcOpenApiEmulator, type RtcOpenApiEmulatorOptions } from '../src/testing/emulator';
import { messagingModuleAt } from './against-emulator';

/** `user_<from>`, `user_<from + 1>`, … */
export const userIds = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `user_${from + i}`);

/** Everything an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** What {@link useFanOutJobsRig} gives each test: its own emulator, queue and key prefix. */
export interface FanOutJobsRig {
  readonly emulator: RtcOpenApiEmulator;
  /** A client of the jobs' Redis, to look at (or break) what the jobs wrote. */
  readonly redis: Redis;
  readonly names: { readonly queueName: string; readonly keyPrefix: string };
  /** An app instance: the messaging module against the emulator, and the jobs module. */
  instance(
    jobs?: Partial<RtcFanOutJobsOptions>,
    messaging?: Partial<RtcMessagingModuleOptions>,
  ): Promise<TestingModule>;
  /** Every key of this test's jobs. */
  jobKeys(): Promise<string[]>;
  /** The job's progress until it ends, or until `waitMs` have passed (then the last is not final). */
  progressUntilEnded(jobs: FanOutJobs, id: string, waitMs?: number): Promise<FanOutJobProgress[]>;
}

/** The Redis of the jobs' specs, unless a spec brings its own. */
const sharedRedisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Registers the hooks of a describe block that runs `FanOutJobs` with real BullMQ and Redis
 * (at `redisUrl()`, read when the block starts) against a fresh emulator per test, with a queue
 * and key prefix of its own (Redis is shared with other runs), removed after each test.
 */
export function useFanOutJobsRig(
  redisUrl: () => string = sharedRedisUrl,
  emulatorOptions: RtcOpenApiEmulatorOptions = { rateLimitPerSecond: 0 },
): FanOutJobsRig {
  const modules: TestingModule[] = [];
  let emulator: RtcOpenApiEmulator;
  let redis: Redis;
  let names: { queueName: string; keyPrefix: string };

  beforeAll(async () => {
    redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect().catch((error: Error) => {
      throw new Error(`Redis is required at ${redisUrl()} for these tests: ${error.message}`);
    });
  });

  afterAll(async () => {
    await redis?.quit().catch(() => redis.disconnect());
  });

  beforeEach(async () => {
    const run = randomUUID().slice(0, 8);
    names = { queueName: `rtc-fan-out-spec-${run}`, keyPrefix: `rtc-fan-out-spec-${run}` };
    emulator = new RtcOpenApiEmulator(emulatorOptions);
    await emulator.start();
  });

  afterEach(async () => {
    while (modules.length > 0) await modules.pop()?.close();
    await emulator?.stop();
    if (!redis) return;
    for (const pattern of [`bull:${names.queueName}:*`, `${names.keyPrefix}:*`]) {
      const keys = await redis.keys(pattern).catch(() => []);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  return {
    get emulator() {
      return emulator;
    },
    get redis() {
      return redis;
    },
    get names() {
      return names;
    },
    async instance(jobs = {}, messaging = {}) {
      const moduleRef = await Test.createTestingModule({
        imports: [
          messagingModuleAt(emulator.url, { rateLimit: false, isGlobal: true, ...messaging }),
          RtcFanOutJobsModule.forRoot({
            connection: redisUrl(),
            ...names,
            sliceSize: 100,
            recoverAfterMs: 1_000,
            retentionMs: 60_000,
            ...jobs,
          }),
        ],
      }).compile();
      modules.push(moduleRef);
      await moduleRef.init();
      return moduleRef;
    },
    jobKeys: () => redis.keys(`${names.keyPrefix}:*`),
    progressUntilEnded: (jobs, id, waitMs = 20_000) =>
      collect(jobs.progress(id, { intervalMs: 50, signal: AbortSignal.timeout(waitMs) })),
  };
}
