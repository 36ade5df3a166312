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
      accessKeyId: 'AKLTexample',
      secretAccessKey: SECRET,
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
    expect(resolved.credentials.sessionToken).toBe('STStoken');
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
    ['endpoint', 'ftp://example.com', /^endpoint must be a URL/],
    ['endpoint', 'not a url', /^endpoint must be a URL/],
    ['timeoutMs', 0, /^timeoutMs must not be less than 1/],
    ['timeoutMs', '5000', /^timeoutMs must be an integer/],
    ['region', '', /^region should not be empty/],
    ['sessionToken', 42, /^sessionToken must be a string/],
  ])('stops on a malformed %s, naming it', (name, value, message) => {
    expect(problemsOf({ ...valid, [name]: value })).toEqual([expect.stringMatching(message)]);
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
    for (const shown of [
      JSON.stringify(resolved),
      inspect(resolved, { depth: 5 }),
      `${String(Object.keys(resolved.credentials))}`,
    ]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain('STSsessionToken');
    }
    expect(JSON.stringify(resolved)).toContain('AKLTexample');
  });
});
