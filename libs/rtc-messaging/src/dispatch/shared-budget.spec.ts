import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import type { CallBudget } from '../rate-limit/call-budget';
import { RateLimitOptions } from '../rate-limit/rate-limit.options';
import { RTC_CALL_BUDGET } from '../rtc-messaging.constants';
import { RejectedCall, RtcOpenApiEmulator } from '../testing';
import { UnicastService } from '../unicast';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 100;
/** Probes of a fresh instance's store before giving up on it (each 250 ms at most, 100 ms apart). */
const STORE_READY_ATTEMPTS = 20;

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
    if (rateLimit.redis !== undefined) await storeAnswers(moduleRef.get(RTC_CALL_BUDGET));
    return moduleRef.get(UnicastService);
  }

  /**
   * Waits until the instance's Redis client has connected and answers a take, as a readiness
   * probe would (`CallBudget.probeStore`), before the spec measures pacing: a fresh client's
   * first takes wait for its connection, which on a loaded machine can outlast a take's 250 ms
   * timeout (they then fail as `budget_unavailable`, which is right for a store that does not
   * answer, and not what this spec is about). Bounded: a Redis that never answers fails here.
   */
  async function storeAnswers(budget: CallBudget): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await budget.probeStore();
      } catch (error) {
        if (attempt >= STORE_READY_ATTEMPTS) throw error;
        await sleep(100);
      }
    }
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
    // (Up to 7 s of it waiting for the three clients to connect, on a loaded machine.)
  }, 20_000);

  it('three instances with memory stores (no Redis) overrun the limit: the shared store is what holds it', async () => {
    const instances = await Promise.all(['a', 'b', 'c'].map(() => instance({})));
    await Promise.allSettled(instances.map((unicast, i) => burst(unicast, 100, `unshared-${i}`)));
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]).toMatchObject({ status: 429, code: 'FlowLimitExceeded.QPSOverLimit' });
    // (The 429s lower each instance's limit and their calls are retried: the burst takes seconds.)
  }, 15_000);
});
