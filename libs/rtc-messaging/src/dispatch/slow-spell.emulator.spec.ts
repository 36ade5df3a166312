import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { TEST_REDIS_URL } from '../../test/test-redis';
import { RtcRateLimitedError } from '../errors';
import { RtcOpenApiEmulator } from '../testing';
import { UnicastService } from '../unicast';

/**
 * Issue #18, item 5: after a spell of slow answers, the shared (Redis) budget refused single sends
 * at a tenth of the limit, because what it had stored of the spell sat seconds ahead of the
 * healthy calls that followed. A call's place is held only until its own answer plus the window,
 * so an instance far below the limit is never refused by its own history.
 */
describe('the shared budget after a spell of slow answers', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ recordLimit: 0 });
    await emulator.start();
  });
  afterEach(async () => {
    await moduleRef?.close();
    await emulator.stop();
  });

  /** `perSecond` sends a second for `ms`, each started on time; resolves with their outcomes. */
  async function steady(unicast: UnicastService, perSecond: number, ms: number, tag: string) {
    const sends: Promise<unknown>[] = [];
    const every = 1_000 / perSecond;
    const started = performance.now();
    for (let i = 0; i * every < ms; i++) {
      const at = started + i * every;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));
      sends.push(unicast.sendText('user_1', `${tag}-${i}`).catch((error: unknown) => error));
    }
    return Promise.all(sends);
  }

  it('never refuses an instance at 10% of the limit once the upstream is healthy again', async () => {
    moduleRef = await compileAgainst(emulator, {
      rateLimit: { redis: TEST_REDIS_URL, redisKeyPrefix: `rtc-messaging-test:${randomUUID()}:` },
    });
    const unicast = moduleRef.get(UnicastService);
    await unicast.sendText('user_1', 'first');

    // Three seconds of 2 s answers at 50 sends a second, then a healthy upstream.
    emulator.injectFault({ type: 'latency', ms: 2_000 }, { times: Infinity });
    const spell = steady(unicast, 50, 3_000, 'slow');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    emulator.clearFaults();
    const after = await steady(unicast, 50, 2_000, 'after');
    await spell;

    const refused = after.filter((outcome) => outcome instanceof RtcRateLimitedError);
    expect(refused).toHaveLength(0);
    expect(after.every((outcome) => !(outcome instanceof Error))).toBe(true);
  }, 20_000);
});
