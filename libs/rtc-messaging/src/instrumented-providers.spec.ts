import { randomUUID } from 'node:crypto';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import {
  OBSERVE_LIKE_INSTRUMENT,
  unproxiableParts,
  unproxiableProviders,
} from '../test/observe-like-instrument';
import { messagingModuleAt } from '../test/against-emulator';
import { RtcMessagingHealthIndicator } from './health';
import { FanOutJobs, RtcFanOutJobsModule } from './jobs';
import { RtcMessagingTestingModule } from './testing';
import { RtcOpenApiEmulator } from './testing/emulator';
import { RtcTokenService } from './token-service';
import { UnicastService } from './unicast';
import { TEST_REDIS_URL } from '../test/test-redis';

const REDIS_URL = TEST_REDIS_URL;
const APP_ID = '661e000000000000000543cf';
const APP_KEY = 'instrumented-app-key';

/** The modules of this library, whose every provider must survive a proxy. */
const OWN_MODULE = /^Rtc/;

/**
 * Apps made by `nest new` with `@nestjs/observe` (the CLI's default answer) pass Nest's
 * `instrument` option, which wraps every provider in a proxy: a provider that is frozen, or has a
 * read-only non-configurable property, throws on every method read through that proxy.
 */
describe('providers under instrumentation (nest new with @nestjs/observe)', () => {
  const emulator = new RtcOpenApiEmulator({ appIds: [APP_ID] });
  let redis: Redis;
  let names: { queueName: string; keyPrefix: string };
  const contexts: INestApplicationContext[] = [];

  beforeAll(async () => {
    await emulator.start();
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });

  beforeEach(() => {
    const run = randomUUID().slice(0, 8);
    names = { queueName: `rtc-instrumented-${run}`, keyPrefix: `rtc-instrumented-${run}` };
  });

  afterEach(async () => {
    while (contexts.length > 0) await contexts.pop()?.close();
    for (const pattern of [`bull:${names.queueName}:*`, `${names.keyPrefix}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  afterAll(async () => {
    await redis.quit();
    await emulator.stop();
  });

  /** Every module this library ships, and the health indicator, in one app. */
  function everythingModule(): new () => unknown {
    @Module({
      imports: [
        messagingModuleAt(emulator.url, { appId: APP_ID, appKey: APP_KEY, isGlobal: true }),
        RtcFanOutJobsModule.forRoot({ connection: REDIS_URL, ...names }),
        TerminusModule.forRoot({ logger: false }),
      ],
      providers: [RtcMessagingHealthIndicator],
    })
    class RtcEverythingModule {}
    return RtcEverythingModule;
  }

  async function start(
    root: new () => unknown,
    instrumented: boolean,
  ): Promise<INestApplicationContext> {
    const context = await NestFactory.createApplicationContext(root, {
      logger: false,
      abortOnError: false,
      ...(instrumented ? { instrument: OBSERVE_LIKE_INSTRUMENT } : {}),
    });
    contexts.push(context);
    return context;
  }

  it('the check sees what breaks a proxy: a frozen object, a read-only non-configurable property', () => {
    expect(unproxiableParts(Object.freeze({ now: () => 0 }))).toEqual([
      'frozen',
      'now is read-only and non-configurable',
    ]);
    expect(unproxiableParts(Object.defineProperty({}, 'now', { value: () => 0 }))).toEqual([
      'now is read-only and non-configurable',
    ]);
    expect(unproxiableParts({ now: () => 0 })).toEqual([]);
    expect(unproxiableParts(class {})).toEqual([]);
  });

  it('no provider of the module, its jobs or its health indicator is frozen or has a read-only non-configurable property', async () => {
    const context = await start(everythingModule(), false);
    expect(unproxiableProviders(context, (name) => OWN_MODULE.test(name))).toEqual([]);
  });

  it('no provider of the testing module is frozen or has a read-only non-configurable property', async () => {
    @Module({ imports: [RtcMessagingTestingModule.forRoot({ appId: APP_ID, appKey: APP_KEY })] })
    class RtcTestingRootModule {}
    const context = await start(RtcTestingRootModule, false);
    expect(unproxiableProviders(context, (name) => OWN_MODULE.test(name))).toEqual([]);
  });

  it('tokens, sends, health and jobs work with every provider proxied', async () => {
    const context = await start(everythingModule(), true);

    const tokens = context.get(RtcTokenService);
    const { token } = await tokens.createLoginToken('user_42');
    await expect(tokens.verifyToken(token, { userId: 'user_42' })).resolves.toMatchObject({
      valid: true,
    });

    await expect(context.get(UnicastService).sendText('user_42', 'hello')).resolves.toMatchObject({
      message: 'Success',
    });
    expect(emulator.accepted.at(-1)).toMatchObject({ to: 'user_42', message: 'hello' });

    const health = await context
      .get(HealthCheckService)
      .check([() => context.get(RtcMessagingHealthIndicator).isHealthy('rtc')]);
    expect(health.status).toBe('ok');

    const jobs = context.get(FanOutJobs);
    const created = await jobs.create({ to: ['user_1', 'user_2'], message: 'hi' });
    await expect(jobs.get(created.id)).resolves.toMatchObject({ id: created.id, total: 2 });
  });

  it('the testing module works with every provider proxied', async () => {
    @Module({ imports: [RtcMessagingTestingModule.forRoot({ appId: APP_ID, appKey: APP_KEY })] })
    class RtcTestingRootModule {}
    const context = await start(RtcTestingRootModule, true);
    const { token } = await context.get(RtcTokenService).createRoomToken('match_17', 'user_42');
    await expect(context.get(RtcTokenService).verifyToken(token)).resolves.toMatchObject({
      valid: true,
    });
    await expect(context.get(UnicastService).sendText('user_42', 'hi')).resolves.toHaveProperty(
      'requestId',
    );
  });
});
