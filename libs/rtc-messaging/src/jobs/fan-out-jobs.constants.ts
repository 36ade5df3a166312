/** The resolved `RtcFanOutJobsOptions`. */
export const RTC_FAN_OUT_JOBS_OPTIONS = Symbol('RTC_FAN_OUT_JOBS_OPTIONS');

/** The ioredis client holding the jobs' recipients, outcomes and checkpoints. */
export const RTC_FAN_OUT_JOBS_REDIS = Symbol('RTC_FAN_OUT_JOBS_REDIS');

/** The BullMQ queue of fan-out slices (an alias of `@nestjs/bullmq`'s token for its name). */
export const RTC_FAN_OUT_QUEUE = Symbol('RTC_FAN_OUT_QUEUE');

/** The BullMQ job name of one slice of a fan-out. */
export const FAN_OUT_SLICE_JOB = 'fan-out-slice';
