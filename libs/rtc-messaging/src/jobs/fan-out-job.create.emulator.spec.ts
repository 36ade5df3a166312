import { collect, FanOutJobsRig, userIds } from '../../test/fan-out-jobs-rig';
import { RtcValidationError } from '../errors';
import { FanOutJobStore, INTERRUPTED_REASON, MarkAnswer } from './fan-out-job.store';
import { FanOutJobs } from './fan-out-jobs.service';

jest.setTimeout(60_000);

/** A lone high surrogate: not well-formed UTF-16, so no valid id. */
const LONE_SURROGATE = 'user_\ud800';

/** How recipients are read and stored when a job is created (issue #18, items 4 and 9). */
describe('FanOutJobs.create: reading and storing the recipients', () => {
  const rig = new FanOutJobsRig();
  beforeAll(() => rig.open());
  afterAll(() => rig.close());
  beforeEach(() => rig.beginTest());
  afterEach(() => rig.endTest());

  it('refuses a malformed id at creation, and a slice holding one recovers after a worker crash', async () => {
    const producer = await rig.instance({ worker: false });
    const jobs = producer.get(FanOutJobs);
    const store = producer.get(FanOutJobStore);
    const to = userIds(150);
    to[5] = LONE_SURROGATE;
    to[120] = 'bad id';
    const { id } = await jobs.create({ to, message: 'hi' });

    // Refused as it was created, before any worker ran.
    expect(await jobs.get(id)).toMatchObject({ state: 'queued', done: 2, refused: 2 });
    // What a worker killed mid-slice leaves: two recipients on the wire, unrecorded.
    for (const offset of [3, 4]) {
      expect(await store.markInFlight(id, 0, offset)).toBe(MarkAnswer.Marked);
    }
    expect(await store.markInFlight(id, 0, 5)).toBe(MarkAnswer.Recorded);

    const worker = await rig.instance();
    const progress = await rig.progressUntilEnded(worker.get(FanOutJobs), id);

    expect(progress.at(-1)).toMatchObject({
      state: 'completed',
      done: 150,
      sent: 146,
      refused: 2,
      unknown: 2,
    });
    const job = await jobs.get(id);
    expect(job?.unknowns).toEqual([
      { to: 'user_3', index: 3, reason: INTERRUPTED_REASON },
      { to: 'user_4', index: 4, reason: INTERRUPTED_REASON },
    ]);
    expect(job?.refusals.map(({ to, index }) => ({ to, index }))).toEqual([
      { to: LONE_SURROGATE, index: 5 },
      { to: 'bad id', index: 120 },
    ]);
    const results = await collect(jobs.results(id));
    expect(results).toHaveLength(150);
    // The id comes back exactly as it was given, lone surrogate and all.
    expect(results[5]).toEqual({
      to: LONE_SURROGATE,
      index: 5,
      status: 'refused',
      reason: expect.stringContaining('to must be a string of 1 to 128 characters'),
    });
    expect(results[120]).toMatchObject({ to: 'bad id', status: 'refused' });
    expect(rig.emulator.accepted.map((m) => m.to)).not.toContain(LONE_SURROGATE);
    expect(rig.emulator.acceptedCount).toBe(146);
  });

  it("with malformedIds: 'fail', names every malformed id by its position and keeps nothing", async () => {
    const jobs = (await rig.instance({ worker: false })).get(FanOutJobs);
    async function* cursor() {
      for (let i = 0; i < 450; i++) yield i === 3 ? LONE_SURROGATE : i === 250 ? 'a b' : `u_${i}`;
    }
    const error = await jobs
      .create({ to: cursor(), message: 'hi', malformedIds: 'fail' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RtcValidationError);
    expect((error as RtcValidationError).violations).toEqual([
      { field: 'to[3]', rule: 'rtcId', message: expect.stringContaining('to[3] must be') },
      { field: 'to[250]', rule: 'rtcId', message: expect.stringContaining('to[250] must be') },
    ]);
    expect(await rig.jobKeys()).toEqual([]);
  });

  it("with malformedIds: 'fail', names the first 100 malformed ids and counts the rest", async () => {
    const jobs = (await rig.instance({ worker: false })).get(FanOutJobs);
    const to = userIds(1_000).map((id, i) => (i % 5 === 0 ? `${id}!` : id));
    const error = (await jobs
      .create({ to, message: 'hi', malformedIds: 'fail' })
      .catch((e: unknown) => e)) as RtcValidationError;

    expect(error.violations).toHaveLength(101);
    expect(error.violations[99].field).toBe('to[495]');
    expect(error.violations[100]).toEqual({
      field: 'to',
      rule: 'rtcId',
      message: 'to has 100 more malformed ids',
    });
    expect(await rig.jobKeys()).toEqual([]);
  });

  it('writes the ids to Redis in chunks as they are read, not a slice at a time', async () => {
    const jobs = (await rig.instance({ worker: false, sliceSize: 100_000 })).get(FanOutJobs);
    // A round trip first: the jobs' client is connected, so a write goes out when it is made.
    await jobs.get('00000000-0000-4000-8000-000000000000');
    let storedWhileReading = -1;
    async function* cursor() {
      for (let i = 0; i < 5_000; i++) {
        if (i === 4_000) {
          const [key] = await rig.jobKeys();
          storedWhileReading = key ? await rig.redis.llen(key) : 0;
        }
        yield `user_${i}`;
      }
    }
    const { id, total } = await jobs.create({ to: cursor(), message: 'hi' });

    expect(total).toBe(5_000);
    // Before the input was read to its end, most of it was already in Redis.
    expect(storedWhileReading).toBeGreaterThanOrEqual(2_000);
    expect(await jobs.get(id)).toMatchObject({ state: 'queued', total: 5_000 });
  });

  it('an input that throws midway leaves nothing in Redis and nothing is sent', async () => {
    const moduleRef = await rig.instance();
    const jobs = moduleRef.get(FanOutJobs);
    const broken = new Error('the cursor lost its database');
    async function* cursor() {
      yield* userIds(2_500);
      throw broken;
    }
    await expect(jobs.create({ to: cursor(), message: 'hi' })).rejects.toBe(broken);
    expect(await rig.jobKeys()).toEqual([]);

    // A job created after it runs to its end; the broken one sent nothing meanwhile.
    const { id } = await jobs.create({ to: userIds(10, 10_000), message: 'hi' });
    expect((await rig.progressUntilEnded(jobs, id)).at(-1)).toMatchObject({ state: 'completed' });
    expect(rig.emulator.accepted.map((m) => m.to).sort()).toEqual(userIds(10, 10_000).sort());
  });

  it('a job whose every id is malformed ends at creation, kept for its retention from then', async () => {
    const jobs = (await rig.instance({ worker: false, retentionMs: 120_000 })).get(FanOutJobs);
    const { id } = await jobs.create({ to: ['bad id', LONE_SURROGATE], message: 'hi' });

    const job = await jobs.get(id);
    expect(job).toMatchObject({ state: 'completed', total: 2, done: 2, refused: 2, cancelled: 0 });
    expect((await collect(jobs.results(id))).map((r) => [r.to, r.status])).toEqual([
      ['bad id', 'refused'],
      [LONE_SURROGATE, 'refused'],
    ]);
    const expiresAt = Date.parse(job!.finishedAt!) + 120_000;
    const keys = await rig.jobKeys();
    expect(keys.length).toBeGreaterThanOrEqual(4); // meta, ids, rec, out, refusals
    for (const key of keys) expect(await rig.redis.call('PEXPIRETIME', key)).toBe(expiresAt);
  });

  it('takes an array, a sync iterable, and refuses a lone string', async () => {
    const jobs = (await rig.instance({ worker: false })).get(FanOutJobs);
    expect((await jobs.create({ to: userIds(3), message: 'hi' })).total).toBe(3);
    expect((await jobs.create({ to: new Set(userIds(4)), message: 'hi' })).total).toBe(4);
    await expect(jobs.create({ to: 'user_1' as never, message: 'hi' })).rejects.toMatchObject({
      violations: [{ field: 'to', rule: 'isIterable' }],
    });
  });
});
