import { ConfigType, registerAs } from '@nestjs/config';
import type { RtcFanOutJobsOptions } from 'nestjs-volcengine-rtc/jobs';
import { validateEnv } from '../config/env.schema';

/**
 * The most recipients a JSON body of `POST /v1/fan-outs` may list: JSON is parsed and validated
 * whole, on the event loop the worker shares (a million ids took 1.2 s and 650 MB; 50,000 held it
 * 146 ms in `npm run bench:job-create`), so longer lists come as `application/x-ndjson`, read as a
 * stream. 10,000 is the synchronous fan-out's default cap too: 1.6 MB of JSON at most.
 */
export const FAN_OUT_JOB_JSON_MAX_RECIPIENTS = 10_000;

/**
 * Fan-out jobs' settings, from the environment. `library` plugs into
 * `RtcFanOutJobsModule.forRootAsync`; it is only used when `REDIS_URL` is set.
 */
export const fanOutJobsConfig = registerAs('fanOutJobs', () => {
  const env = validateEnv(process.env);
  return {
    /** Most recipients one `POST /v1/fan-outs` may name. */
    maxRecipients: env.FAN_OUT_JOB_MAX_RECIPIENTS,
    /** Most recipients its JSON body may list (sizes its JSON body limit); NDJSON up to the above. */
    jsonMaxRecipients: Math.min(env.FAN_OUT_JOB_MAX_RECIPIENTS, FAN_OUT_JOB_JSON_MAX_RECIPIENTS),
    /** Creations one API key may have under way at once on this instance. */
    creationsPerKey: env.FAN_OUT_JOB_CREATIONS_PER_KEY,
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
