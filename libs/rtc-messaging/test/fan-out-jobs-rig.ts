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
import { testRedisUrl } from './test-redis';

/** `user_<from>`, `user_<from + 1>`, … */
export const userIds = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `user_${from + i}`);

/** Everything an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The Redis of the jobs' specs, unless a spec brings its own: the one every spec uses. */
const sharedRedisUrl = () => testRedisUrl();

/**
 * `FanOutJobs` with real BullMQ and Redis (at `redisUrl()`, read when the rig opens) against a
 * fresh emulator per test, with a queue and key prefix of its own (Redis is shared with other
 * runs), removed after each test. (No Jest globals here: the app's build compiles this file.)
 *
 * @example
 * const rig = new FanOutJobsRig();
 * beforeAll(() => rig.open());
 * afterAll(() => rig.close());
 * beforeEach(() => rig.beginTest());
 * afterEach(() => rig.endTest());
 */
export class FanOutJobsRig {
  private readonly modules: TestingModule[] = [];
  private currentEmulator?: RtcOpenApiEmulator;
  private client?: Redis;
  private currentNames?: { queueName: string; keyPrefix: string };

  constructor(
    private readonly redisUrl: () => string = sharedRedisUrl,
    private readonly emulatorOptions: RtcOpenApiEmulatorOptions = { rateLimitPerSecond: 0 },
  ) {}

  /** The test's emulator. */
  get emulator(): RtcOpenApiEmulator {
    return this.currentEmulator!;
  }

  /** A client of the jobs' Redis, to look at (or break) what the jobs wrote. */
  get redis(): Redis {
    return this.client!;
  }

  /** The test's queue name and key prefix. */
  get names(): { readonly queueName: string; readonly keyPrefix: string } {
    return this.currentNames!;
  }

  /** Connects to Redis, failing with a clear message when none answers. */
  async open(): Promise<void> {
    const url = this.redisUrl();
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await this.client.connect().catch((error: Error) => {
      throw new Error(`Redis is required at ${url} for these tests: ${error.message}`);
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    await client?.quit().catch(() => client.disconnect());
  }

  /** A fresh emulator, queue name and key prefix. */
  async beginTest(): Promise<void> {
    const run = randomUUID().slice(0, 8);
    this.currentNames = {
      queueName: `rtc-fan-out-spec-${run}`,
      keyPrefix: `rtc-fan-out-spec-${run}`,
    };
    this.currentEmulator = new RtcOpenApiEmulator(this.emulatorOptions);
    await this.currentEmulator.start();
  }

  /** Closes the test's instances and emulator, and removes its keys. */
  async endTest(): Promise<void> {
    while (this.modules.length > 0) await this.modules.pop()?.close();
    await this.currentEmulator?.stop();
    const { client, currentNames: names } = this;
    if (!client || !names) return;
    for (const pattern of [`bull:${names.queueName}:*`, `${names.keyPrefix}:*`]) {
      const keys = await client.keys(pattern).catch(() => []);
      if (keys.length > 0) await client.del(...keys);
    }
  }

  /** An app instance: the messaging module against the emulator, and the jobs module. */
  async instance(
    jobs: Partial<RtcFanOutJobsOptions> = {},
    messaging: Partial<RtcMessagingModuleOptions> = {},
  ): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        messagingModuleAt(this.emulator.url, { rateLimit: false, isGlobal: true, ...messaging }),
        RtcFanOutJobsModule.forRoot({
          connection: this.redisUrl(),
          ...this.names,
          sliceSize: 100,
          recoverAfterMs: 1_000,
          retentionMs: 60_000,
          ...jobs,
        }),
      ],
    }).compile();
    this.modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  /** Every key of this test's jobs. */
  jobKeys(): Promise<string[]> {
    return this.redis.keys(`${this.names.keyPrefix}:*`);
  }

  /** The job's progress until it ends, or until `waitMs` have passed (then the last is not final). */
  progressUntilEnded(jobs: FanOutJobs, id: string, waitMs = 20_000): Promise<FanOutJobProgress[]> {
    return collect(jobs.progress(id, { intervalMs: 50, signal: AbortSignal.timeout(waitMs) }));
  }
}
