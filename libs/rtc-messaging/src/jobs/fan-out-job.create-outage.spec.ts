import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { messagingModuleAt } from '../../test/against-emulator';
import { deadPort } from '../../test/dead-port';
import { LocalRedis, startLocalRedis } from '../../test/local-redis';
import { FanOutJobsUnavailableError } from './fan-out-jobs-unavailable.error';
import { FanOutJobs } from './fan-out-jobs.service';
import { RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';

jest.setTimeout(30_000);

/**
 * Redis going away while a job is being created, after the check that it was up: the creation
 * fails as a creation with Redis down does (`FanOutJobsUnavailableError`, a 503 in an app), not
 * with ioredis's own error (a 500). A redis-server of this spec's own, which it stops.
 */
describe('FanOutJobs.create when Redis goes away mid-creation', () => {
  let redis: LocalRedis | undefined;
  let moduleRef: TestingModule;
  let logged: jest.SpyInstance;

  beforeAll(async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    redis = await startLocalRedis(url);
    if (!redis) throw new Error('this test starts a redis-server of its own: install redis-server');
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    moduleRef = await Test.createTestingModule({
      imports: [
        messagingModuleAt('http://127.0.0.1:9', { rateLimit: false, isGlobal: true }),
        RtcFanOutJobsModule.forRoot({ connection: url, worker: false }),
      ],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await redis?.stop();
    logged?.mockRestore();
  });

  it('fails with FanOutJobsUnavailableError', async () => {
    const server = redis as LocalRedis;
    async function* ids(): AsyncGenerator<string> {
      yield 'user_1';
      await server.stop();
      yield 'user_2';
    }
    const failure = await moduleRef
      .get(FanOutJobs)
      .create({ to: ids(), message: 'hi' })
      .catch((error: unknown) => error);
    redis = undefined;
    expect(failure).toBeInstanceOf(FanOutJobsUnavailableError);
    expect((failure as Error).message).toMatch(/^Fan-out jobs are unavailable: their Redis failed/);
  });
});
