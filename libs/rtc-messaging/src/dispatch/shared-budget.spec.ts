import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RateLimitOptions } from '../rate-limit/rate-limit.options';
import { RejectedCall, RtcOpenApiEmulator } from '../testing';
import { UnicastService } from '../unicast';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 100;

/**
 * The budget against an upstream that counts calls in any sliding second: from one instance, and
 * from three instances sharing the real Redis, a burst well over the limit is paced so that the
 * upstream throttles nothing. (Throughput is measured by `npm run bench:budget`, not here.)
 */
describe('the shared call budget against the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  const throttled: RejectedCall[] = [];
  const modules: TestingModule[] = [];
  const keyPrefix = `rtc-messaging-test:${randomUUID()}:`;

  beforeAll(async () => {
    // Fail loudly, not skip, when Redis is missing: CI must have it.
    const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await probe.connect().catch((error: Error) => {
      throw new Error(`Redis is required at ${REDIS_URL} for these tests: ${error.message}`);
    });
    await probe.quit();
  });

  beforeEach(async () => {
    throttled.length = 0;
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: LIMIT, recordLimit: 0 });
    emulator.on('rejected', (call) => throttled.push(call));
    await emulator.start();
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((m) => m.close()));
    await emulator.stop();
  });

  async function instance(rateLimit: RateLimitOptions): Promise<UnicastService> {
    const moduleRef = await compileAgainst(emulator, {
      rateLimit: { perSecond: LIMIT, maxWaitMs: 10_000, maxQueued: 1_000, ...rateLimit },
    });
    modules.push(moduleRef);
    return moduleRef.get(UnicastService);
  }

  const burst = (unicast: UnicastService, count: number, tag: string) =>
    Promise.all(Array.from({ length: count }, (_, i) => unicast.sendText('user_1', `${tag}-${i}`)));

  it('one instance (memory store): 2.5x the limit in one burst, nothing throttled', async () => {
    const unicast = await instance({});
    await burst(unicast, 250, 'solo');
    expect(throttled).toEqual([]);
    expect(emulator.acceptedCount).toBe(250);
  });

  it('three instances sharing Redis: 3x the limit at once, nothing throttled', async () => {
    const instances = await Promise.all(
      ['a', 'b', 'c'].map(() => instance({ redis: REDIS_URL, redisKeyPrefix: keyPrefix })),
    );
    await Promise.all(instances.map((unicast, i) => burst(unicast, 100, `instance-${i}`)));
    expect(throttled).toEqual([]);
    expect(emulator.acceptedCount).toBe(300);
  });

  it('three instances with memory stores (no Redis) overrun the limit: the shared store is what holds it', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map(() => instance({})));
    await Promise.allSettled(instances.map((unicast, i) => burst(unicast, 100, `unshared-${i}`)));
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toMatchObject({ status: 429, code: 'FlowLimitExceeded.QPSOverLimit' });
    // (The 429s lower each instance's limit and their calls are retried: the burst takes seconds.)
  }, 15_000);
});
