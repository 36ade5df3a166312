/**
 * `nestjs-volcengine-rtc/jobs`: fan-outs as durable jobs on BullMQ. Needs the optional peers
 * `@nestjs/bullmq`, `bullmq` and `ioredis`; the main entry point never loads them.
 */
export { RtcFanOutJobsAsyncOptions, RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';
export { FAN_OUT_JOBS_DEFAULTS, RtcFanOutJobsOptions } from './fan-out-jobs.options';
export { FanOutJobs, FanOutProgressOptions } from './fan-out-jobs.service';
export { FanOutJobNotFoundError } from './fan-out-job-not-found.error';
export { FanOutJobsUnavailableError } from './fan-out-jobs-unavailable.error';
export { INTERRUPTED_REASON } from './fan-out-job.store';
export type {
  CreatedFanOutJob,
  CreateFanOutJobInput,
  FanOutJob,
  FanOutJobCancellation,
  FanOutJobOutcome,
  FanOutJobProgress,
  FanOutJobState,
  FanOutJobStatus,
  MalformedIdPolicy,
} from './fan-out-job.types';
