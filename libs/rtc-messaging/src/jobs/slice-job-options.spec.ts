import { randomUUID } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { TEST_REDIS_URL } from '../../test/test-redis';
import {
  refusesUnsent,
  SLICE_ATTEMPTS_BEFORE_REFUSING,
  SLICE_RETRY_AFTER_REFUSING_MS,
  sliceBackoff,
  sliceJobOptions,
} from './slice-job-options';

describe('slice retries', () => {
  it('back off from 1 s, doubling, for about 6 days, then refuse what cannot be sent', () => {
    const delays = Array.from({ length: SLICE_ATTEMPTS_BEFORE_REFUSING - 1 }, (_, i) =>
      sliceBackoff(i + 1),
    );
    expect(delays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    const days = delays.reduce((sum, ms) => sum + ms, 0) / 86_400_000;
    expect(days).toBeGreaterThan(6);
    expect(days).toBeLessThan(6.1);
    expect(refusesUnsent(SLICE_ATTEMPTS_BEFORE_REFUSING - 2)).toBe(false);
    expect(refusesUnsent(SLICE_ATTEMPTS_BEFORE_REFUSING - 1)).toBe(true);
  });

  it('go on every 10 minutes for a week after that, so a slice that could not write its outcomes still ends its job', () => {
    const { attempts } = sliceJobOptions('j', 0, 60_000);
    for (const attemptsMade of [20, 21, 500, (attempts as number) - 1]) {
      expect(sliceBackoff(attemptsMade)).toBe(SLICE_RETRY_AFTER_REFUSING_MS);
    }
    const weekOfRetries = ((attempts as number) - SLICE_ATTEMPTS_BEFORE_REFUSING) * 600_000;
    expect(weekOfRetries).toBeGreaterThanOrEqual(7 * 86_400_000);
  });

  it('are scheduled by BullMQ with the worker given the strategy', async () => {
    const name = `test-slice-backoff-${randomUUID()}`;
    const connection = { url: TEST_REDIS_URL };
    const queue = new Queue(name, { connection });
    const worker = new Worker(
      name,
      () => {
        throw new Error('Redis went away mid-slice');
      },
      { connection, settings: { backoffStrategy: sliceBackoff } },
    );
    const failed = new Promise<Job>((resolve) => {
      worker.on('failed', (job) => job && resolve(job));
    });
    try {
      const added = await queue.add('slice', {}, sliceJobOptions(name, 0, 60_000));
      await failed;
      const job = (await queue.getJob(added.id as string)) as Job;
      // Retried, not failed for good: delayed by the strategy's first step.
      expect(await job.getState()).toBe('delayed');
      expect(job.attemptsMade).toBe(1);
      expect(job.delay).toBe(1_000);
    } finally {
      await worker.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
