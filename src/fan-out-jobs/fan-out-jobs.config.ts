import { ConfigType, registerAs } from '@nestjs/config';
import type { RtcFanOutJobsOptions } from 'nestjs-volcengine-rtc/jobs';
import { validateEnv } from '../config/env.schema';

/**
 * Fan-out jobs' settings, from the environment. `library` plugs into
 * `RtcFanOutJobsModule.forRootAsync`; it is only used when `REDIS_URL` is set.
 */
export const fanOutJobsConfig = registerAs('fanOutJobs', () => {
  const env = validateEnv(process.env);
  return {
    /** Most recipients one `POST /v1/fan-outs` may name. */
    maxRecipients: env.FAN_OUT_JOB_MAX_RECIPIENTS,
    library: {
      connection: env.REDIS_URL ?? '',
      worker: env.WORKER,
      maxRecipients: env.FAN_OUT_JOB_MAX_RECIPIENTS,
      concurrency: env.FAN_OUT_JOB_CONCURRENCY,
      recoverAfterMs: env.FAN_OUT_JOB_RECOVER_AFTER_MS,
    } satisfies RtcFanOutJobsOptions,
  };
});

export type FanOutJobsConfig = ConfigType<typeof fanOutJobsConfig>;

/** Whether jobs are on: they need Redis. */
export const jobsEnabled = (env: NodeJS.ProcessEnv): boolean =>
  typeof env.REDIS_URL === 'string' && env.REDIS_URL.trim() !== '';
