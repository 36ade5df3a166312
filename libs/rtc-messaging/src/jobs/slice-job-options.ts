import type { JobsOptions } from 'bullmq';

/**
 * BullMQ options of one slice of a fan-out. The id is the slice's own, so queueing it twice (a
 * worker that died after queueing the next slice does it again) adds it once; kept for the job's
 * retention so that holds while it matters. Attempts cover Redis errors mid-slice: a retried slice
 * skips every recipient that has an outcome.
 */
export function sliceJobOptions(jobId: string, slice: number, retentionMs: number): JobsOptions {
  const age = Math.ceil(retentionMs / 1_000);
  return {
    jobId: `${jobId}-${slice}`,
    removeOnComplete: { age },
    removeOnFail: { age },
    attempts: 20,
    backoff: { type: 'exponential', delay: 1_000 },
  };
}
