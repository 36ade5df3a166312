import { randomUUID } from 'node:crypto';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { messagingModuleAt } from '../../test/against-emulator';
import { TEST_REDIS_URL, testRedisUrlWithCredentials } from '../../test/test-redis';
import { RtcConfigurationError, RtcValidationError } from '../errors';
import type { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { FanOutJobStore, INTERRUPTED_REASON, MarkAnswer } from './fan-out-job.store';
import type { FanOutJobOutcome, FanOutJobProgress } from './fan-out-job.types';
import type { RtcFanOutJobsOptions } from './fan-out-jobs.options';
import { FanOutJobs } from './fan-out-jobs.service';
import { RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';

const REDIS_URL = TEST_REDIS_URL;

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `user_${from + i}`);

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

// A shared, busy machine: room for each test, whose assertions never depend on time.
jest.setTimeout(60_000);

/** FanOutJobs with real BullMQ and Redis, sending to the local emulator. */
describe('FanOutJobs against Redis and the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let redis: Redis;
  const modules: TestingModule[] = [];
  // Every test has its own queue and keys: Redis is shared with other test runs.
  let names: { queueName: string; keyPrefix: string };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect().catch((error: Error) => {
      throw new Error(`Redis is required at ${REDIS_URL} for these tests: ${error.message}`);
    });
  });

  afterAll(async () => {
    await redis.quit();
  });

  beforeEach(async () => {
    const run = randomUUID().slice(0, 8);
    names = { queueName: `rtc-fan-out-spec-${run}`, keyPrefix: `rtc-fan-out-spec-${run}` };
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0 });
    await emulator.start();
  });

  afterEach(async () => {
    while (modules.length > 0) await modules.pop()?.close();
    await emulator.stop();
    // The job keys expire on their own; BullMQ's queue keys would stay.
    for (const pattern of [`bull:${names.queueName}:*`, `${names.keyPrefix}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
  });

  async function instance(
    jobs: Partial<RtcFanOutJobsOptions> = {},
    messaging: Partial<RtcMessagingModuleOptions> = {},
  ): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        messagingModuleAt(emulator.url, { rateLimit: false, isGlobal: true, ...messaging }),
        RtcFanOutJobsModule.forRoot({
          connection: REDIS_URL,
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
  }

  async function finished(jobs: FanOutJobs, id: string): Promise<FanOutJobProgress[]> {
    return collect(jobs.progress(id, { intervalMs: 50 }));
  }

  function acceptedTimes(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of emulator.accepted)
      counts.set(m.to as string, (counts.get(m.to as string) ?? 0) + 1);
    return counts;
  }

  it('sends every valid id once, refuses the malformed ones, and reports outcomes in order', async () => {
    const jobs = (await instance()).get(FanOutJobs);
    const list = ids(1_050);
    const bad = [0, 99, 100, 517, 1_049];
    for (const i of bad) list[i] = `bad id ${i}`;

    const created = await jobs.create({ to: list, message: 'Maintenance at 02:00' });
    expect(created.total).toBe(1_050);
    const progress = await finished(jobs, created.id);

    expect(progress.at(-1)).toMatchObject({
      state: 'completed',
      done: 1_050,
      sent: 1_045,
      refused: 5,
    });
    const job = await jobs.get(created.id);
    expect(job).toMatchObject({
      total: 1_050,
      sent: 1_045,
      refused: 5,
      unknown: 0,
      cancelled: 0,
    });
    expect(job?.refusals.map((r) => r.index).sort((a, b) => a - b)).toEqual(bad);
    expect(job?.startedAt).toBeDefined();
    expect(job?.finishedAt).toBeDefined();
    const counts = acceptedTimes();
    expect(counts.size).toBe(1_045);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const results = await collect(jobs.results(created.id));
    expect(results.map((r) => r.index)).toEqual(list.map((_, i) => i));
    expect(results.map((r) => r.to)).toEqual(list);
    const requestIds = new Map(emulator.accepted.map((m) => [m.to as string, m.requestId]));
    for (const r of results) {
      if (bad.includes(r.index))
        expect(r).toMatchObject({ status: 'refused', reason: expect.stringContaining('to') });
      else
        expect(r).toEqual({
          to: r.to,
          index: r.index,
          status: 'sent',
          requestId: requestIds.get(r.to),
        });
    }
  });

  it('validates the message before it reads a recipient, naming each broken field', async () => {
    const jobs = (await instance({ worker: false })).get(FanOutJobs);
    let pulled = 0;
    function* recipients() {
      pulled++;
      yield 'user_1';
    }
    const error = await jobs
      .create({
        to: recipients(),
        message: 'x'.repeat(70_000),
        from: 'bad from',
        atLeastOnce: 'yes' as never,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcValidationError);
    expect((error as RtcValidationError).violations.map((v) => v.field).sort()).toEqual([
      'atLeastOnce',
      'from',
      'message',
    ]);
    expect(pulled).toBe(0);
    expect(await redis.keys(`${names.keyPrefix}:*`)).toEqual([]);
  });

  it('refuses more than maxRecipients, or a recipient that is not a string, and keeps nothing', async () => {
    const jobs = (await instance({ worker: false, maxRecipients: 250 })).get(FanOutJobs);
    await expect(jobs.create({ to: ids(251), message: 'hi' })).rejects.toMatchObject({
      violations: [{ field: 'to', rule: 'maxRecipients' }],
    });
    await expect(
      jobs.create({ to: [...ids(120), 42 as never], message: 'hi' }),
    ).rejects.toMatchObject({ violations: [{ field: 'to[120]', rule: 'isString' }] });
    expect(await redis.keys(`${names.keyPrefix}:*`)).toEqual([]);
  });

  it('streams an async iterable of ids into the job', async () => {
    const jobs = (await instance()).get(FanOutJobs);
    async function* cursor() {
      for (let page = 0; page < 5; page++) yield* ids(61, page * 61);
    }
    const { id, total } = await jobs.create({ to: cursor(), message: 'hi' });
    expect(total).toBe(305);
    expect((await finished(jobs, id)).at(-1)).toMatchObject({ state: 'completed', sent: 305 });
  });

  it('a recipient left in flight by a dead worker is reported unknown (interrupted) and never resent', async () => {
    const producer = await instance({ worker: false });
    const jobs = producer.get(FanOutJobs);
    const store = producer.get(FanOutJobStore);
    const { id } = await jobs.create({ to: ids(150), message: 'hi' });
    // What a worker killed mid-slice leaves: 3 recipients recorded, 2 on the wire, unrecorded.
    for (const offset of [0, 1, 2, 3, 4]) {
      expect(await store.markInFlight(id, 0, offset)).toBe(MarkAnswer.Marked);
    }
    for (const offset of [0, 1, 2]) {
      await store.record(id, 0, offset, {
        to: `user_${offset}`,
        index: offset,
        status: 'sent',
        requestId: `r${offset}`,
      });
    }

    const worker = await instance();
    const progress = await finished(worker.get(FanOutJobs), id);

    expect(progress.at(-1)).toMatchObject({ state: 'completed', done: 150, sent: 148, unknown: 2 });
    const accepted = acceptedTimes();
    expect(accepted.size).toBe(145);
    for (const to of ['user_0', 'user_1', 'user_2', 'user_3', 'user_4'])
      expect(accepted.has(to)).toBe(false);
    const job = await jobs.get(id);
    expect(job?.unknowns).toEqual([
      { to: 'user_3', index: 3, reason: INTERRUPTED_REASON },
      { to: 'user_4', index: 4, reason: INTERRUPTED_REASON },
    ]);
    const results: FanOutJobOutcome[] = await collect(jobs.results(id));
    expect(results.slice(0, 5)).toEqual([
      { to: 'user_0', index: 0, status: 'sent', requestId: 'r0' },
      { to: 'user_1', index: 1, status: 'sent', requestId: 'r1' },
      { to: 'user_2', index: 2, status: 'sent', requestId: 'r2' },
      { to: 'user_3', index: 3, status: 'unknown', reason: INTERRUPTED_REASON },
      { to: 'user_4', index: 4, status: 'unknown', reason: INTERRUPTED_REASON },
    ]);
  });

  it('with atLeastOnce, a recipient left in flight is sent again instead', async () => {
    const producer = await instance({ worker: false });
    const store = producer.get(FanOutJobStore);
    const { id } = await producer
      .get(FanOutJobs)
      .create({ to: ids(10), message: 'hi', atLeastOnce: true });
    await store.markInFlight(id, 0, 7);

    const worker = await instance();
    const progress = await finished(worker.get(FanOutJobs), id);
    expect(progress.at(-1)).toMatchObject({ state: 'completed', sent: 10, unknown: 0 });
    expect(acceptedTimes().get('user_7')).toBe(1);
  });

  it('two jobs at once: the later one does not wait for the earlier one to finish', async () => {
    const moduleRef = await instance({ lanesPerJob: 2, slicesPerWorker: 1, concurrency: 4 });
    const jobs = moduleRef.get(FanOutJobs);
    const first = await jobs.create({ to: ids(2_000), message: 'first' });
    const second = await jobs.create({ to: ids(300, 10_000), message: 'second' });
    await finished(jobs, second.id);
    // The first job's slices take turns with the second's, so it is far from done.
    expect((await jobs.get(first.id))!.done).toBeLessThan(2_000);
    expect((await finished(jobs, first.id)).at(-1)).toMatchObject({
      state: 'completed',
      sent: 2_000,
    });
  });

  it('get, cancel, results and progress of an unknown id', async () => {
    const jobs = (await instance({ worker: false })).get(FanOutJobs);
    expect(await jobs.get(randomUUID())).toBeUndefined();
    expect(await jobs.get('../../etc')).toBeUndefined();
    expect(await jobs.cancel(randomUUID())).toBeUndefined();
    await expect(collect(jobs.results(randomUUID()))).rejects.toThrow('No fan-out job has this id');
    await expect(collect(jobs.progress(randomUUID()))).rejects.toThrow(
      'No fan-out job has this id',
    );
  });

  it('an empty list is a completed job at once', async () => {
    const jobs = (await instance({ worker: false })).get(FanOutJobs);
    const { id, total } = await jobs.create({ to: [], message: 'hi' });
    expect(total).toBe(0);
    expect(await jobs.get(id)).toMatchObject({ state: 'completed', done: 0 });
  });

  it('forRootAsync: options from a factory, validated at boot naming the option, never the URL', async () => {
    const boot = (concurrency: number) =>
      Test.createTestingModule({
        imports: [
          messagingModuleAt(emulator.url, { from: 'bot', isGlobal: true }),
          RtcFanOutJobsModule.forRootAsync({
            queueName: names.queueName,
            useFactory: async () => ({
              connection: testRedisUrlWithCredentials('hunter2'),
              worker: false,
              concurrency,
            }),
          }),
        ],
      }).compile();
    const error = await boot(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcConfigurationError);
    expect((error as Error).message).toContain('concurrency must be an integer from 1 to 1,000');
    expect((error as Error).message).not.toContain('hunter2');
  });
});
