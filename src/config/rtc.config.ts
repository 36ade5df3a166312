import { ConfigType, registerAs } from '@nestjs/config';
import type { RtcMessagingModuleOptions } from 'nestjs-volcengine-rtc';
import { validateEnv } from './env.schema';

/**
 * The library's options, from the environment. `rtcConfig.asProvider()` plugs straight into
 * `RtcMessagingModule.forRootAsync`.
 *
 * Namespace factories run after `ConfigModule` has checked the environment (its `validate`) and
 * copied `.env` into `process.env`; this one parses it with the same schema, the one place that
 * turns the strings into typed values.
 */
export const rtcConfig = registerAs('rtc', (): RtcMessagingModuleOptions => {
  const env = validateEnv(process.env);
  return {
    accessKeyId: env.VOLC_ACCESSKEY,
    secretAccessKey: env.VOLC_SECRETKEY,
    sessionToken: env.VOLC_SESSION_TOKEN,
    appId: env.RTC_APP_ID,
    from: env.RTC_FROM,
    region: env.RTC_REGION,
    endpoint: env.RTC_ENDPOINT,
    timeoutMs: env.RTC_TIMEOUT_MS,
    // Unset variables stay undefined, and the library's defaults apply.
    rateLimit: {
      perSecond: env.RTC_RATE_LIMIT_PER_SECOND,
      maxWaitMs: env.RTC_RATE_LIMIT_MAX_WAIT_MS,
      maxQueued: env.RTC_RATE_LIMIT_MAX_QUEUED,
      key: env.RTC_RATE_LIMIT_KEY,
      redis: env.REDIS_URL,
      onRedisError: env.RTC_RATE_LIMIT_ON_REDIS_ERROR,
      instances: env.RTC_RATE_LIMIT_INSTANCES,
    },
    retry: { unknownOutcome: env.RTC_RETRY_UNKNOWN_OUTCOME },
    appKey: env.RTC_APP_KEY,
    secondaryAppKey: env.RTC_APP_KEY_SECONDARY,
    tokenTtlSeconds: env.RTC_TOKEN_TTL_SECONDS,
  };
});

export type RtcConfig = ConfigType<typeof rtcConfig>;
