import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { messagingModuleAt } from '../../test/against-emulator';
import { deadPort } from '../../test/dead-port';
import { LocalRedis, startLocalRedis } from '../../test/local-redis';
import { FanOutJobsUnavailableError } from './fan-out-jobs-unavailable.error';
import { FanOutJobs } from './fan-out-jobs.service';
import { RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';

jest.setTimeout(30_000);

/**
 * With the jobs' Redis gone (a redis-server of this spec's own, which it stops: never the shared
 * one), every call a request makes fails at once with a typed error, and the client's
 * reconnection errors are summarized by the app's logger instead of printed to stderr.
 */
describe('FanOutJobs while Redis is down', () => {
  let redis: LocalRedis | undefined;
  let url: string;
  let moduleRef: TestingModule;
  let jobs: FanOutJobs;
  let jobId: string;
  const lines: string[] = [];
  let loggerError: jest.SpyInstance;
  let consoleError: jest.SpyInstance;

  beforeAll(async () => {
    const port = await deadPort();
    url = `redis://127.0.0.1:${port}`;
    redis = await startLocalRedis(url);
    if (!redis)
      throw new Error('these tests start a redis-server of their own: install redis-server');
    loggerError = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((message: unknown) => void lines.push(String(message)));
    // What ioredis prints by itself for an error nobody listens to.
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    moduleRef = await Test.createTestingModule({
      imports: [
        messagingModuleAt('http://127.0.0.1:9', { rateLimit: false, isGlobal: true }),
        RtcFanOutJobsModule.forRoot({ connection: url, worker: false }),
      ],
    }).compile();
    await moduleRef.init();
    jobs = moduleRef.get(FanOutJobs);
    jobId = (await jobs.create({ to: ['user_1', 'user_2'], message: 'hi' })).id;
    await redis.stop();
    redis = undefined;
    // ioredis retries the connection every 50 ms, then more slowly: several refused attempts.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  });

  afterAll(async () => {
    await moduleRef?.close();
    await redis?.stop();
    loggerError?.mockRestore();
    consoleError?.mockRestore();
  });

  it("logs the store client's refused connections in one line per 10 s, nothing on stderr", () => {
    expect(lines.filter((line) => line.startsWith('Fan-out store:'))).toEqual([
      expect.stringContaining('ECONNREFUSED'),
    ]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('get, cancel, create, progress and results fail at once with FanOutJobsUnavailableError', async () => {
    const failures = await Promise.all([
      jobs.get(jobId).catch((e: unknown) => e),
      jobs.cancel(jobId).catch((e: unknown) => e),
      jobs.create({ to: ['user_3'], message: 'hi' }).catch((e: unknown) => e),
      jobs
        .progress(jobId)
        [Symbol.asyncIterator]()
        .next()
        .catch((e: unknown) => e),
      jobs
        .results(jobId)
        [Symbol.asyncIterator]()
        .next()
        .catch((e: unknown) => e),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(FanOutJobsUnavailableError);
      expect((failure as Error).message).toMatch(/^Fan-out jobs are unavailable: their Redis /);
      // The address is the logs' business.
      expect((failure as Error).message).not.toContain(new URL(url).port);
      expect((failure as FanOutJobsUnavailableError).outcome).toBe('not_delivered');
    }
  });
});

describe('FanOutJobs while Redis is connected but does not answer', () => {
  it('gives up after the budget store timeout with FanOutJobsUnavailableError', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    const redis = await startLocalRedis(url);
    if (!redis)
      throw new Error('these tests start a redis-server of their own: install redis-server');
    const admin = new Redis(url);
    const moduleRef = await Test.createTestingModule({
      imports: [
        messagingModuleAt('http://127.0.0.1:9', { rateLimit: false, isGlobal: true }),
        RtcFanOutJobsModule.forRoot({ connection: url, worker: false }),
      ],
    }).compile();
    try {
      await moduleRef.init();
      const jobs = moduleRef.get(FanOutJobs);
      const { id } = await jobs.create({ to: ['user_1'], message: 'hi' });
      // Every other client's commands wait for 3 s: a Redis that is stuck.
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      const failure = await jobs.get(id).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(FanOutJobsUnavailableError);
      expect((failure as Error).message).toContain('did not answer within 250 ms');
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      await moduleRef.close();
      admin.disconnect();
      await redis.stop();
    }
  });
});
