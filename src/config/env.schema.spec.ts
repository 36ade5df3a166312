import { EnvValidationError, validateEnv } from './env.schema';

const SECRET = 'super-secret-value-0123456789';

const valid = (): Record<string, string> => ({
  VOLC_ACCESSKEY: 'AKLTexample',
  VOLC_SECRETKEY: SECRET,
  RTC_APP_ID: '661e000000000000000543cf',
  RTC_FROM: 'server_bot',
  API_KEYS: 'key-one,key-two',
});

function problemsOf(env: Record<string, unknown>): string {
  try {
    validateEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvValidationError);
    return (error as Error).message;
  }
  throw new Error('validateEnv accepted the environment');
}

describe('validateEnv', () => {
  it('converts a minimal environment, with PORT defaulting to 3000', () => {
    const env = validateEnv(valid());
    expect(env).toMatchObject({
      VOLC_ACCESSKEY: 'AKLTexample',
      RTC_APP_ID: '661e000000000000000543cf',
      RTC_FROM: 'server_bot',
      API_KEYS: ['key-one', 'key-two'],
      PORT: 3000,
    });
    expect(env.RTC_TIMEOUT_MS).toBeUndefined();
    expect(env.RTC_ENDPOINT).toBeUndefined();
  });

  it('leaves the budget to the library when unset, and caps lists at 10,000', () => {
    const env = validateEnv(valid());
    expect(env.FAN_OUT_MAX_RECIPIENTS).toBe(10_000);
    for (const name of [
      'RTC_RATE_LIMIT_PER_SECOND',
      'RTC_RATE_LIMIT_MAX_WAIT_MS',
      'RTC_RATE_LIMIT_MAX_QUEUED',
      'RTC_RATE_LIMIT_KEY',
      'REDIS_URL',
      'RTC_RATE_LIMIT_ON_REDIS_ERROR',
      'RTC_RATE_LIMIT_INSTANCES',
      'RTC_RETRY_UNKNOWN_OUTCOME',
    ] as const) {
      expect(env[name]).toBeUndefined();
    }
  });

  it('converts the budget and retry variables', () => {
    const env = validateEnv({
      ...valid(),
      RTC_RATE_LIMIT_PER_SECOND: '250',
      RTC_RATE_LIMIT_MAX_WAIT_MS: '0',
      RTC_RATE_LIMIT_MAX_QUEUED: '50',
      RTC_RATE_LIMIT_KEY: 'account',
      REDIS_URL: `rediss://default:${SECRET}@cache.internal:6380/2`,
      RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local',
      RTC_RATE_LIMIT_INSTANCES: '4',
      RTC_RETRY_UNKNOWN_OUTCOME: 'true',
      FAN_OUT_MAX_RECIPIENTS: '500',
    });
    expect(env).toMatchObject({
      RTC_RATE_LIMIT_PER_SECOND: 250,
      RTC_RATE_LIMIT_MAX_WAIT_MS: 0,
      RTC_RATE_LIMIT_MAX_QUEUED: 50,
      RTC_RATE_LIMIT_KEY: 'account',
      REDIS_URL: `rediss://default:${SECRET}@cache.internal:6380/2`,
      RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local',
      RTC_RATE_LIMIT_INSTANCES: 4,
      RTC_RETRY_UNKNOWN_OUTCOME: true,
      FAN_OUT_MAX_RECIPIENTS: 500,
    });
    expect(validateEnv({ ...valid(), RTC_RETRY_UNKNOWN_OUTCOME: 'false' })).toMatchObject({
      RTC_RETRY_UNKNOWN_OUTCOME: false,
    });
  });

  it('requires RTC_RATE_LIMIT_INSTANCES with the local fallback, saying why', () => {
    expect(problemsOf({ ...valid(), RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local' })).toContain(
      'RTC_RATE_LIMIT_INSTANCES is required with RTC_RATE_LIMIT_ON_REDIS_ERROR=local',
    );
    expect(
      validateEnv({ ...valid(), RTC_RATE_LIMIT_ON_REDIS_ERROR: 'fail-closed' })
        .RTC_RATE_LIMIT_INSTANCES,
    ).toBeUndefined();
  });

  it('converts numbers and trims API keys, dropping empty entries', () => {
    const env = validateEnv({
      ...valid(),
      API_KEYS: ' a , b ,,',
      PORT: '8080',
      RTC_TIMEOUT_MS: '2500',
      RTC_ENDPOINT: 'http://127.0.0.1:4000',
      RTC_REGION: 'cn-north-1',
      VOLC_SESSION_TOKEN: 'token',
    });
    expect(env).toMatchObject({
      API_KEYS: ['a', 'b'],
      PORT: 8080,
      RTC_TIMEOUT_MS: 2500,
      RTC_ENDPOINT: 'http://127.0.0.1:4000',
      RTC_REGION: 'cn-north-1',
      VOLC_SESSION_TOKEN: 'token',
    });
  });

  it('converts the allowed sender ids and AppIds, trimmed, dropping empty entries', () => {
    const env = validateEnv({
      ...valid(),
      RTC_ALLOWED_FROM: ' billing_bot , ops@example.com ,,',
      RTC_ALLOWED_APP_IDS: '661e000000000000000543d0',
    });
    expect(env.RTC_ALLOWED_FROM).toEqual(['billing_bot', 'ops@example.com']);
    expect(env.RTC_ALLOWED_APP_IDS).toEqual(['661e000000000000000543d0']);
    const unset = validateEnv(valid());
    expect(unset.RTC_ALLOWED_FROM).toEqual([]);
    expect(unset.RTC_ALLOWED_APP_IDS).toEqual([]);
  });

  it.each(['RTC_ALLOWED_FROM', 'RTC_ALLOWED_APP_IDS'])(
    'refuses a malformed entry of %s by its position, not its value',
    (name) => {
      const message = problemsOf({ ...valid(), [name]: 'good_id,bad id!' });
      expect(message).toContain(`${name}[1] must be a string of 1 to 128 characters`);
      expect(message).not.toContain('bad id!');
    },
  );

  it('treats empty optional variables as unset', () => {
    const env = validateEnv({ ...valid(), RTC_TIMEOUT_MS: '', RTC_ENDPOINT: ' ', PORT: '' });
    expect(env.RTC_TIMEOUT_MS).toBeUndefined();
    expect(env.RTC_ENDPOINT).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });

  it('leaves out variables the app does not read', () => {
    expect(validateEnv({ ...valid(), HOME: '/root' })).not.toHaveProperty('HOME');
  });

  it.each(['VOLC_ACCESSKEY', 'VOLC_SECRETKEY', 'RTC_APP_ID', 'RTC_FROM', 'API_KEYS'])(
    'refuses a missing %s, naming it',
    (name) => {
      const env = valid();
      delete env[name];
      expect(problemsOf(env)).toContain(`${name} is required`);
    },
  );

  it('serves metrics and logs JSON at info unless told otherwise', () => {
    expect(validateEnv(valid())).toMatchObject({
      METRICS_ENABLED: true,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
    });
    expect(validateEnv(valid()).OTEL_EXPORTER_OTLP_PROTOCOL).toBeUndefined();
    expect(
      validateEnv({
        ...valid(),
        METRICS_ENABLED: 'false',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
    ).toMatchObject({ METRICS_ENABLED: false, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  });

  it('names every bad variable at once', () => {
    const message = problemsOf({ ...valid(), RTC_APP_ID: undefined, PORT: 'http' });
    expect(message).toContain('RTC_APP_ID is required');
    expect(message).toMatch(/PORT must be an integer/);
  });

  it.each([
    ['PORT', 'abc', /PORT must be an integer/],
    ['PORT', '1e3', /PORT must be an integer/],
    ['PORT', '70000', /PORT must not be greater than 65535/],
    ['PORT', '0', /PORT must not be less than 1/],
    ['RTC_TIMEOUT_MS', '10s', /RTC_TIMEOUT_MS must be an integer/],
    ['RTC_TIMEOUT_MS', '-5', /RTC_TIMEOUT_MS must be an integer/],
    ['RTC_ENDPOINT', 'rtc.volcengineapi.com', /RTC_ENDPOINT must be a URL/],
    ['API_KEYS', ' , ,', /API_KEYS must contain at least 1 elements/],
    ['VOLC_SECRETKEY', '', /VOLC_SECRETKEY should not be empty/],
    ['RTC_FROM', 'server bot!', /RTC_FROM must be a string of 1 to 128 characters/],
    ['RTC_RATE_LIMIT_PER_SECOND', '0', /RTC_RATE_LIMIT_PER_SECOND must not be less than 1/],
    [
      'RTC_RATE_LIMIT_PER_SECOND',
      '100001',
      /RTC_RATE_LIMIT_PER_SECOND must not be greater than 100000/,
    ],
    ['RTC_RATE_LIMIT_PER_SECOND', '5.5', /RTC_RATE_LIMIT_PER_SECOND must be an integer/],
    ['RTC_RATE_LIMIT_MAX_WAIT_MS', '-1', /RTC_RATE_LIMIT_MAX_WAIT_MS must be an integer/],
    ['RTC_RATE_LIMIT_MAX_QUEUED', '0', /RTC_RATE_LIMIT_MAX_QUEUED must not be less than 1/],
    ['RTC_RATE_LIMIT_KEY', 'perUser', /RTC_RATE_LIMIT_KEY must be appId or account/],
    ['REDIS_URL', 'cache.internal:6379', /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [
      'REDIS_URL',
      'http://default:hunter2-password@cache.internal:6379',
      /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [
      'RTC_RATE_LIMIT_ON_REDIS_ERROR',
      'fail-open',
      /RTC_RATE_LIMIT_ON_REDIS_ERROR must be fail-closed or local/,
    ],
    ['RTC_RATE_LIMIT_INSTANCES', '0', /RTC_RATE_LIMIT_INSTANCES must not be less than 1/],
    ['RTC_RETRY_UNKNOWN_OUTCOME', 'yes', /RTC_RETRY_UNKNOWN_OUTCOME must be true or false/],
    ['RTC_RETRY_UNKNOWN_OUTCOME', 'TRUE', /RTC_RETRY_UNKNOWN_OUTCOME must be true or false/],
    ['FAN_OUT_MAX_RECIPIENTS', '0', /FAN_OUT_MAX_RECIPIENTS must not be less than 1/],
    ['FAN_OUT_MAX_RECIPIENTS', '100001', /FAN_OUT_MAX_RECIPIENTS must not be greater than 100000/],
    ['METRICS_ENABLED', 'yes', /METRICS_ENABLED must be true or false/],
    ['LOG_FORMAT', 'text', /LOG_FORMAT must be one of json, pretty/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL must be one of trace, debug, info, warn, error/],
    [
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'grpc',
      /OTEL_EXPORTER_OTLP_PROTOCOL must be one of http\/protobuf, http\/json/,
    ],
  ])('refuses %s=%j, naming it and not its value', (name, value, expected) => {
    const message = problemsOf({ ...valid(), [name]: value });
    expect(message).toMatch(expected);
    if (value.trim() !== '') expect(message).not.toContain(value);
  });

  it('never echoes a value, secret or not', () => {
    const message = problemsOf({
      ...valid(),
      VOLC_ACCESSKEY: 42,
      VOLC_SECRETKEY: { value: SECRET },
      PORT: SECRET,
      RTC_ENDPOINT: SECRET,
      REDIS_URL: `http://user:${SECRET}@cache:6379`,
    });
    expect(message).toMatch(/VOLC_ACCESSKEY/);
    expect(message).toMatch(/VOLC_SECRETKEY/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('42');
  });
});

describe('validateEnv: what RTC sends the app', () => {
  it('leaves the callback route unconfigured and the echo on when unset', () => {
    const env = validateEnv(valid());
    expect(env.RTC_CALLBACK_SECRET).toBeUndefined();
    expect(env.RTC_CALLBACK_SECRET_SECONDARY).toBeUndefined();
    expect(env.RTC_ECHO_CLIENT_MESSAGES).toBe(true);
  });

  it('takes both callback secrets, and the echo off', () => {
    expect(
      validateEnv({
        ...valid(),
        RTC_CALLBACK_SECRET: SECRET,
        RTC_CALLBACK_SECRET_SECONDARY: `${SECRET}-old`,
        RTC_ECHO_CLIENT_MESSAGES: 'false',
      }),
    ).toMatchObject({
      RTC_CALLBACK_SECRET: SECRET,
      RTC_CALLBACK_SECRET_SECONDARY: `${SECRET}-old`,
      RTC_ECHO_CLIENT_MESSAGES: false,
    });
  });

  it.each([
    [
      { RTC_CALLBACK_SECRET_SECONDARY: SECRET },
      /RTC_CALLBACK_SECRET_SECONDARY needs RTC_CALLBACK_SECRET/,
    ],
    [{ RTC_ECHO_CLIENT_MESSAGES: 'yes' }, /RTC_ECHO_CLIENT_MESSAGES must be true or false/],
  ])('refuses %j, naming the variable and never the secret', (extra, expected) => {
    const message = problemsOf({ ...valid(), ...extra });
    expect(message).toMatch(expected);
    expect(message).not.toContain(SECRET);
  });
});
