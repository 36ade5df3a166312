import { randomUUID } from 'node:crypto';
import { FanOutJobsRig, userIds } from '../../test/fan-out-jobs-rig';
import { jobKey } from './fan-out-job.keys';
import { FanOutJobStore, type StoredJobSpec } from './fan-out-job.store';
import { CREATION_LEASE_MS, FanOutJobWriter } from './fan-out-job.writer';

const spec = (total: number): StoredJobSpec => ({
  total,
  slices: Math.ceil(total / 100),
  sliceSize: 100,
  lanes: 8,
  message: 'hi',
  binary: false,
  atLeastOnce: false,
  retentionMs: 60_000,
});

/** The creation's lease, lifted when the creation ends (issue #18, item 3). */
describe('FanOutJobWriter.seal', () => {
  const rig = new FanOutJobsRig();
  beforeAll(() => rig.open());
  afterAll(() => rig.close());
  beforeEach(() => rig.beginTest());
  afterEach(() => rig.endTest());

  async function written(total: number) {
    const store = (await rig.instance({ worker: false })).get(FanOutJobStore);
    const { redis, keyPrefix } = store.connection;
    const writer = new FanOutJobWriter(redis, keyPrefix, randomUUID(), 100);
    for (const id of userIds(total)) await writer.push(id, id === 'user_3' ? 'bad' : undefined);
    await writer.drain();
    await writer.writeMeta(spec(total), { createdAt: Date.now(), refused: 1, ended: false });
    return { store, writer };
  }

  it('lifts the lease of every key it wrote: a queued job never expires', async () => {
    const { store, writer } = await written(250);
    const keys = await rig.jobKeys();
    for (const key of keys) {
      const ttl = await rig.redis.pttl(key);
      expect(ttl).toBeGreaterThan(CREATION_LEASE_MS - 60_000);
    }

    await writer.seal(store);

    expect(keys.length).toBe(7); // meta, ids:0-2, rec:0, out:0, refusals
    for (const key of keys) expect(await rig.redis.pttl(key)).toBe(-1);
  });

  it('leaves alone a job a worker already ended: its keys keep their retention', async () => {
    const { store, writer } = await written(250);
    // A quick worker ran the whole job between the queueing and the seal.
    const meta = jobKey(rig.names.keyPrefix, writer.id, 'meta');
    const finishedAt = Date.now();
    await rig.redis.hset(meta, 'state', 'completed', 'finishedAt', finishedAt);
    await store.retain(writer.id, 3, 60_000);

    await writer.seal(store);

    const keys = await rig.jobKeys();
    expect(keys.length).toBe(7);
    for (const key of keys) {
      expect(await rig.redis.call('PEXPIRETIME', key)).toBe(finishedAt + 60_000);
    }
  });

  it('fails, naming its lease, when a key it wrote is gone', async () => {
    const { store, writer } = await written(250);
    await rig.redis.del(jobKey(rig.names.keyPrefix, writer.id, 'ids:1'));
    await expect(writer.seal(store)).rejects.toThrow('outlasted its lease (60 minutes)');
  });
});
