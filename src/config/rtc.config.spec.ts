import { resolveOptions } from 'nestjs-volcengine-rtc';
import { ENV_VARIABLES } from './env.schema';
import { rtcConfig } from './rtc.config';

const REQUIRED = {
  VOLC_ACCESSKEY: 'AKLTexample',
  VOLC_SECRETKEY: 'secret',
  RTC_APP_ID: 'app',
  RTC_FROM: 'server_bot',
  API_KEYS: 'key',
};

/** The namespace's options for `env`, as the library resolves them at boot. */
function resolvedFor(env: Record<string, string>) {
  // Jest gives each test file its own copy of process.env.
  for (const name of ENV_VARIABLES) delete process.env[name];
  Object.assign(process.env, REQUIRED, env);
  return resolveOptions(rtcConfig());
}

describe('rtcConfig', () => {
  it("leaves the library's defaults in place when nothing is set: 500/s in memory, no unknown-outcome retries", () => {
    const options = resolvedFor({});
    expect(options.rateLimit).toMatchObject({ perSecond: 500, maxWaitMs: 1_000, maxQueued: 1_000 });
    expect(options.rateLimit && options.rateLimit.redis).toBeUndefined();
    expect(options.rateLimit && options.rateLimit.keyOf('app')).toBe('appId:app');
    expect(options.retry.unknownOutcome).toBe(false);
  });

  it('passes the budget and retry variables through forRootAsync', () => {
    const options = resolvedFor({
      RTC_RATE_LIMIT_PER_SECOND: '20',
      RTC_RATE_LIMIT_MAX_WAIT_MS: '0',
      RTC_RATE_LIMIT_MAX_QUEUED: '5',
      RTC_RATE_LIMIT_KEY: 'account',
      REDIS_URL: 'redis://cache.internal:6379/1',
      RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local',
      RTC_RATE_LIMIT_INSTANCES: '3',
      RTC_RETRY_UNKNOWN_OUTCOME: 'true',
    });
    expect(options.rateLimit).toMatchObject({
      perSecond: 20,
      maxWaitMs: 0,
      maxQueued: 5,
      redis: 'redis://cache.internal:6379/1',
      onRedisError: 'local',
      instances: 3,
    });
    expect(options.rateLimit && options.rateLimit.keyOf('app')).toBe('account:AKLTexample');
    expect(options.retry.unknownOutcome).toBe(true);
  });
});
