import type { JobsOptions } from 'bullmq';

/**
 * Attempts of a slice before what it could not send (the budget's store or the upstream
 * unreachable) is `refused`: 1 s, doubling, about 6 days in all.
 */
export const SLICE_ATTEMPTS_BEFORE_REFUSING = 20;
/**
 * After those, a slice whose run still failed (its outcomes could not be written: Redis away, or
 * flapping) runs again every 10 minutes: until it ends, its job stays `running` and its keys do
 * not expire, so a job left with a failed slice would be kept forever.
 */
export const SLICE_RETRY_AFTER_REFUSING_MS = 600_000;
/** How long a slice keeps trying after its attempts before refusing: a week. */
const RETRYING_AFTER_REFUSING_MS = 7 * 24 * 3_600_000;
/** The name of the slices' backoff strategy (`sliceBackoff`), given to the worker. */
export const SLICE_BACKOFF = 'rtc-fan-out-slice';

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
    attempts:
      SLICE_ATTEMPTS_BEFORE_REFUSING +
      Math.ceil(RETRYING_AFTER_REFUSING_MS / SLICE_RETRY_AFTER_REFUSING_MS),
    backoff: { type: SLICE_BACKOFF },
  };
}

/**
 * The delay before a slice's next attempt, after `attemptsMade` (the worker's `backoffStrategy`):
 * 1 s, doubling, until the attempt that refuses what it cannot send; then every 10 minutes.
 */
export function sliceBackoff(attemptsMade: number): number {
  return attemptsMade < SLICE_ATTEMPTS_BEFORE_REFUSING
    ? 1_000 * 2 ** (attemptsMade - 1)
    : SLICE_RETRY_AFTER_REFUSING_MS;
}

/** Whether a run of a slice (`attemptsMade` before it) refuses what it cannot send. */
export function refusesUnsent(attemptsMade: number): boolean {
  return attemptsMade + 1 >= SLICE_ATTEMPTS_BEFORE_REFUSING;
}
