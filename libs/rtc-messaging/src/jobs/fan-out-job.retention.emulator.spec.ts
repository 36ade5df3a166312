import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { FanOutJobsRig, userIds } from '../../test/fan-out-jobs-rig';
import { FanOutJobs } from './fan-out-jobs.service';

jest.setTimeout(60_000);

/** Resolves once the emulator has accepted `count` messages. */
const accepted = (rig: FanOutJobsRig, count: number) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (rig.emulator.acceptedCount < count) return;
      rig.emulator.off('accepted', check);
      resolve();
    };
    rig.emulator.on('accepted', check);
    check();
  });

/** A job's retention counts from when it ends (issue #18, item 3). */
describe('FanOutJobs retention', () => {
  const rig = new FanOutJobsRig();
  beforeAll(() => rig.open());
  afterAll(() => rig.close());
  beforeEach(() => rig.beginTest());
  afterEach(() => rig.endTest());

  it("never expires a running job's keys; once it ends, each expires retentionMs after finishedAt", async () => {
    const retentionMs = 90_000;
    const moduleRef = await rig.instance(
      { concurrency: 2, slicesPerWorker: 1, retentionMs },
      { rateLimit: { perSecond: 100, maxWaitMs: 10_000 } },
    );
    const jobs = moduleRef.get(FanOutJobs);
    const to = userIds(250);
    to[7] = 'bad id'; // refused at creation: its keys too
    const { id } = await jobs.create({ to, message: 'hi' });
    await accepted(rig, 50);

    const running = await rig.jobKeys();
    expect(running.length).toBeGreaterThan(3);
    const ttls = await Promise.all(running.map((key) => rig.redis.pttl(key)));
    // -1: no expiry. (-2: the key went meanwhile, as `fly` does when its calls are recorded.)
    expect(running.filter((_, i) => ttls[i] >= 0)).toEqual([]);
    expect(ttls.filter((ttl) => ttl === -1).length).toBeGreaterThan(3);

    expect((await rig.progressUntilEnded(jobs, id)).at(-1)?.state).toBe('completed');
    // The worker retains the keys right after it records the end.
    const job = await jobs.get(id);
    const expected = Date.parse(job!.finishedAt!) + retentionMs;
    let keys: string[] = [];
    let expireTimes: number[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      keys = await rig.jobKeys();
      expireTimes = (await Promise.all(
        keys.map((key) => rig.redis.call('PEXPIRETIME', key)),
      )) as number[];
      if (expireTimes.every((t) => t === expected)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(Object.fromEntries(keys.map((key, i) => [key, expireTimes[i]]))).toEqual(
      Object.fromEntries(keys.map((key) => [key, expected])),
    );
  });

  it('a job whose keys are gone mid-send stops sending, and no key of it comes back', async () => {
    const moduleRef = await rig.instance(
      { concurrency: 4, slicesPerWorker: 1, lanesPerJob: 1 },
      { rateLimit: { perSecond: 50, maxWaitMs: 10_000 } },
    );
    const jobs = moduleRef.get(FanOutJobs);
    const queue = moduleRef.get<Queue>(getQueueToken(rig.names.queueName));
    const { id } = await jobs.create({ to: userIds(1_000), message: 'hi' });
    await accepted(rig, 20);

    // What a retention running out mid-send did: every key of the job gone at once.
    await rig.redis.del(...(await rig.jobKeys()));
    const acceptedWhenGone = rig.emulator.acceptedCount;
    // The slice in hand ends (BullMQ completes it) once the worker sees the job is gone.
    for (let attempt = 0; attempt < 200; attempt++) {
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed');
      if (counts.active + counts.waiting + counts.delayed === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(await queue.getJobCounts('active', 'waiting', 'delayed')).toEqual({
      active: 0,
      waiting: 0,
      delayed: 0,
    });
    // At most the calls that were already on their way when the keys went.
    expect(rig.emulator.acceptedCount - acceptedWhenGone).toBeLessThanOrEqual(4);
    expect(await rig.jobKeys()).toEqual([]);
    expect(await jobs.get(id)).toBeUndefined();
  });
});
