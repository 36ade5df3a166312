import { inspect } from 'node:util';
import { RtcConfigurationError } from './errors';
import { resolveOptions } from './rtc-messaging.options';

const SECRET = 'top-secret-value-1234';
const valid = {
  accessKeyId: 'AKLTexample',
  secretAccessKey: SECRET,
  appId: '661e000000000000000543cf',
  from: 'server_bot',
};

function problemsOf(raw: unknown): readonly string[] {
  try {
    resolveOptions(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(RtcConfigurationError);
    expect((error as Error).message).not.toContain(SECRET);
    return (error as RtcConfigurationError).problems;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveOptions', () => {
  it('applies the defaults', () => {
    const resolved = resolveOptions(valid);
    expect(resolved).toMatchObject({
      appId: valid.appId,
      from: 'server_bot',
      region: 'cn-north-1',
      timeoutMs: 10_000,
    });
    expect(resolved.endpoint.href).toBe('https://rtc.volcengineapi.com/');
    expect(resolved.credentials).toMatchObject({
      kind: 'static',
      credentials: { accessKeyId: 'AKLTexample', secretAccessKey: SECRET },
    });
  });

  it('keeps the given region, endpoint, timeout and session token', () => {
    const resolved = resolveOptions({
      ...valid,
      sessionToken: 'STStoken',
      region: 'ap-singapore-1',
      endpoint: 'http://127.0.0.1:8080',
      timeoutMs: 2_500,
    });
    expect(resolved.region).toBe('ap-singapore-1');
    expect(resolved.endpoint.origin).toBe('http://127.0.0.1:8080');
    expect(resolved.timeoutMs).toBe(2_500);
    expect(resolved.credentials).toMatchObject({ credentials: { sessionToken: 'STStoken' } });
  });

  it.each(['accessKeyId', 'secretAccessKey', 'appId', 'from'] as const)(
    'stops when %s is missing, naming it',
    (name) => {
      const { [name]: _, ...rest } = valid;
      expect(problemsOf(rest)).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^${name} `))]),
      );
    },
  );

  it.each([
    ['from', 'server bot', /^from must be/],
    ['appId', 'x'.repeat(129), /^appId must be a string of 1 to 128 characters/],
    ['appId', 'app 1', /^appId must be a string of 1 to 128 characters/],
    ['endpoint', 'ftp://example.com', /^endpoint must be a URL/],
    ['endpoint', 'not a url', /^endpoint must be a URL/],
    ['timeoutMs', 0, /^timeoutMs must not be less than 1/],
    ['timeoutMs', '5000', /^timeoutMs must be an integer/],
    ['region', '', /^region should not be empty/],
    ['sessionToken', 42, /^sessionToken must be a string/],
  ])('stops on a malformed %s, naming it', (name, value, message) => {
    expect(problemsOf({ ...valid, [name]: value })).toEqual([expect.stringMatching(message)]);
  });

  describe('http:// endpoints (they carry X-Security-Token in clear text)', () => {
    it.each([
      'http://127.0.0.1:4000',
      'http://127.255.0.9',
      'http://localhost:4000',
      'http://LOCALHOST',
      'http://[::1]:4000',
      'https://rtc.example.com',
    ])('accepts %s', (endpoint) => {
      expect(resolveOptions({ ...valid, endpoint }).endpoint.href).toMatch(/^https?:\/\//);
    });

    it.each([
      'http://rtc.volcengineapi.com',
      'http://10.0.0.5:8080',
      'http://128.0.0.1',
      'http://localhost.example.com',
      'http://[::2]',
      'http://[::ffff:7f00:1]',
    ])('refuses %s, naming endpoint and the rule', (endpoint) => {
      expect(problemsOf({ ...valid, endpoint })).toEqual([
        expect.stringMatching(
          /^endpoint must be https:\/\/ unless its host is loopback.*allowInsecureEndpoint/,
        ),
      ]);
    });

    it('accepts a remote http:// endpoint with allowInsecureEndpoint: true', () => {
      const resolved = resolveOptions({
        ...valid,
        endpoint: 'http://rtc-proxy.internal:8080',
        allowInsecureEndpoint: true,
      });
      expect(resolved.endpoint.origin).toBe('http://rtc-proxy.internal:8080');
    });

    it('stops on a malformed allowInsecureEndpoint, naming it', () => {
      expect(problemsOf({ ...valid, allowInsecureEndpoint: 'yes' })).toEqual([
        expect.stringMatching(/^allowInsecureEndpoint must be a boolean/),
      ]);
    });
  });

  it('never shows a malformed value in the error', () => {
    const problems = problemsOf({ ...valid, secretAccessKey: 12345678, from: `${SECRET} x` });
    expect(problems.join(' ')).not.toMatch(/12345678|top-secret/);
  });

  it('refuses options that are not an object', () => {
    expect(problemsOf(undefined)).toEqual(['options must be an object']);
  });

  it('hides secrets from logging, inspection and JSON', () => {
    const resolved = resolveOptions({ ...valid, sessionToken: 'STSsessionToken' });
    const source = resolved.credentials;
    expect(source.kind).toBe('static');
    for (const shown of [
      JSON.stringify(resolved),
      inspect(resolved, { depth: 5 }),
      `${String(Object.entries(source.kind === 'static' ? source.credentials : {}))}`,
    ]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain('STSsessionToken');
    }
    expect(JSON.stringify(resolved)).toContain('AKLTexample');
  });

  describe('rateLimit and retry', () => {
    it('defaults to 500 calls/s per AppId in memory, failing closed, and 3 attempts', () => {
      const resolved = resolveOptions(valid);
      expect(resolved.rateLimit).toMatchObject({
        perSecond: 500,
        maxWaitMs: 1_000,
        maxQueued: 1_000,
        onRedisError: 'fail-closed',
        redis: undefined,
      });
      expect(resolved.rateLimit && resolved.rateLimit.keyOf('app-1')).toBe('appId:app-1');
      expect(resolved.retry).toEqual({
        maxAttempts: 3,
        baseDelayMs: 100,
        maxDelayMs: 2_000,
        maxElapsedMs: 10_000,
        unknownOutcome: false,
      });
    });

    it('keys the budget per account or by a function when asked', () => {
      const perAccount = resolveOptions({ ...valid, rateLimit: { key: 'account' } });
      expect(perAccount.rateLimit && perAccount.rateLimit.keyOf('a')).toBe('account:AKLTexample');
      const custom = resolveOptions({
        ...valid,
        rateLimit: { key: ({ appId }: { appId: string }) => `shared-${appId}` },
      });
      expect(custom.rateLimit && custom.rateLimit.keyOf('a')).toBe('shared-a');
    });

    it('keeps an ioredis client as given (not cloned)', () => {
      const client = { evalsha: () => undefined };
      const resolved = resolveOptions({ ...valid, rateLimit: { redis: client } });
      expect(resolved.rateLimit && resolved.rateLimit.redis).toBe(client);
    });

    it('turns pacing off with rateLimit: false', () => {
      expect(resolveOptions({ ...valid, rateLimit: false }).rateLimit).toBe(false);
    });

    it.each([
      [{ rateLimit: { perSecond: 0 } }, /^rateLimit\.perSecond must not be less than 1/],
      [
        { rateLimit: { key: 'tenant' } },
        /^rateLimit\.key must be 'appId', 'account' or a function/,
      ],
      [{ rateLimit: { redis: 'http://cache:6379' } }, /^rateLimit\.redis must be a redis:\/\//],
      [
        { rateLimit: { redis: 'redis://x', onRedisError: 'local' } },
        /^rateLimit\.instances must be/,
      ],
      [{ rateLimit: { onRedisError: 'ignore' } }, /^rateLimit\.onRedisError must be one of/],
      [{ rateLimit: true }, /^rateLimit must be an object or false/],
      [{ retry: { maxAttempts: 0 } }, /^retry\.maxAttempts must not be less than 1/],
      [{ retry: { unknownOutcome: 'yes' } }, /^retry\.unknownOutcome must be a boolean/],
    ])('names a malformed nested option %p', (extra, message) => {
      expect(problemsOf({ ...valid, ...extra })).toEqual([expect.stringMatching(message)]);
    });

    it('never shows the Redis URL (it may hold a password) in an error', () => {
      const problems = problemsOf({ ...valid, rateLimit: { redis: 'http://user:hunter2@cache' } });
      expect(problems.join(' ')).not.toContain('hunter2');
    });
  });
});
