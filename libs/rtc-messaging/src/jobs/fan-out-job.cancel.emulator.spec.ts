import { collect, FanOutJobsRig, userIds } from '../../test/fan-out-jobs-rig';
import { FanOutJobs } from './fan-out-jobs.service';

jest.setTimeout(60_000);

/** A cancelled job accounts for every recipient (issue #18, item 7). */
describe('FanOutJobs.cancel', () => {
  const rig = new FanOutJobsRig();
  beforeAll(() => rig.open());
  afterAll(() => rig.close());
  beforeEach(() => rig.beginTest());
  afterEach(() => rig.endTest());

  it('sends nothing more, and every recipient ends sent or cancelled, one result line each, in order', async () => {
    // 50 calls a second: most of the job is still ahead when it is cancelled.
    const moduleRef = await rig.instance(
      { concurrency: 4 },
      { rateLimit: { perSecond: 50, maxWaitMs: 10_000 } },
    );
    const jobs = moduleRef.get(FanOutJobs);
    const to = userIds(1_000);
    const { id } = await jobs.create({ to, message: 'hi' });
    const cancellation = await new Promise<Awaited<ReturnType<FanOutJobs['cancel']>>>((resolve) =>
      rig.emulator.on('accepted', () => {
        if (rig.emulator.acceptedCount === 20) void jobs.cancel(id).then(resolve);
      }),
    );
    expect(cancellation).toMatchObject({ stopped: true, job: { id, state: 'cancelling' } });

    const progress = await rig.progressUntilEnded(jobs, id);
    const job = (await jobs.get(id))!;
    expect(progress.at(-1)).toMatchObject({ state: 'cancelled', cancelled: job.cancelled });
    expect(job.state).toBe('cancelled');
    // Stopped calls (waiting for budget when the cancel came) are not refusals: none was refused.
    expect(job).toMatchObject({ refused: 0, unknown: 0, sent: rig.emulator.acceptedCount });
    expect(job.cancelled).toBeGreaterThan(0);
    expect(job.sent + job.refused + job.unknown + job.cancelled).toBe(1_000);

    const results = await collect(jobs.results(id));
    expect(results.map((r) => r.index)).toEqual(to.map((_, i) => i));
    expect(results.map((r) => r.to)).toEqual(to);
    const sent = new Set(rig.emulator.accepted.map((m) => m.to as string));
    for (const r of results) {
      expect(r.status).toBe(sent.has(r.to) ? 'sent' : 'cancelled');
    }
    expect(results.filter((r) => r.status === 'cancelled')).toHaveLength(job.cancelled);
    expect(results.find((r) => r.status === 'cancelled')).toEqual({
      to: expect.any(String),
      index: expect.any(Number),
      status: 'cancelled',
    });

    // Cancelling it again changes nothing, and says so.
    expect(await jobs.cancel(id)).toEqual({ stopped: false, job });
  });

  it('a completed job is not stopped by a cancel, and counts no cancelled recipient', async () => {
    const jobs = (await rig.instance()).get(FanOutJobs);
    const { id } = await jobs.create({ to: userIds(30), message: 'hi' });
    await rig.progressUntilEnded(jobs, id);

    const cancellation = await jobs.cancel(id);
    expect(cancellation).toMatchObject({
      stopped: false,
      job: { state: 'completed', sent: 30, cancelled: 0 },
    });
    expect(await collect(jobs.results(id))).toHaveLength(30);
  });
});
