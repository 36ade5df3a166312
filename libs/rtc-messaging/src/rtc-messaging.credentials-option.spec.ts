import { RtcConfigurationError } from './errors';
import { resolveOptions } from './rtc-messaging.options';

const supply = () => ({ accessKeyId: 'AKTPexample', secretAccessKey: 'sts-secret' });
const base = { appId: '661e000000000000000543cf', from: 'server_bot', credentials: supply };

function problemsOf(raw: object): readonly string[] {
  try {
    resolveOptions(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(RtcConfigurationError);
    return (error as RtcConfigurationError).problems;
  }
  throw new Error('expected the options to be refused');
}

describe('the credentials option', () => {
  it('replaces the static keys, refreshing 5 minutes ahead of expiry, each call within 30 s, by default', () => {
    expect(resolveOptions(base).credentials).toEqual({
      kind: 'supplied',
      supply,
      refreshBeforeMs: 300_000,
      timeoutMs: 30_000,
    });
    expect(
      resolveOptions({ ...base, refreshCredentialsBeforeMs: 60_000, credentialsTimeoutMs: 5_000 })
        .credentials,
    ).toMatchObject({ refreshBeforeMs: 60_000, timeoutMs: 5_000 });
  });

  it('credentialsTimeoutMs is a whole number of ms from 1 to 300,000, used only with it', () => {
    expect(problemsOf({ ...base, credentialsTimeoutMs: 0 })).toEqual([
      'credentialsTimeoutMs must not be less than 1',
    ]);
    expect(problemsOf({ ...base, credentialsTimeoutMs: 300_001 })).toEqual([
      'credentialsTimeoutMs must not be greater than 300000',
    ]);
    expect(problemsOf({ ...base, credentialsTimeoutMs: Infinity })).toEqual([
      'credentialsTimeoutMs must be an integer number',
    ]);
    const { credentials: _, ...withoutFunction } = base;
    expect(
      problemsOf({
        ...withoutFunction,
        accessKeyId: 'AKLTexample',
        secretAccessKey: 'long-term-secret',
        credentialsTimeoutMs: 5_000,
      }),
    ).toEqual(['credentialsTimeoutMs is only used with credentials']);
  });

  it('is refused beside any static key, naming them', () => {
    expect(
      problemsOf({ ...base, accessKeyId: 'AKLTexample', sessionToken: 'STS-token-value' }),
    ).toEqual(['credentials replaces accessKeyId, sessionToken: give one or the other']);
  });

  it('must be a function', () => {
    expect(problemsOf({ ...base, credentials: { accessKeyId: 'AK' } })).toEqual([
      'credentials must be a function returning { accessKeyId, secretAccessKey, ... }',
    ]);
  });

  it('without it, the static keys are still required', () => {
    const { credentials: _, ...withoutAny } = base;
    expect(problemsOf(withoutAny)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^accessKeyId /),
        expect.stringMatching(/^secretAccessKey /),
      ]),
    );
  });

  it('refreshCredentialsBeforeMs is a whole number of ms from 0 to a day, used only with it', () => {
    expect(problemsOf({ ...base, refreshCredentialsBeforeMs: -1 })).toEqual([
      'refreshCredentialsBeforeMs must not be less than 0',
    ]);
    expect(problemsOf({ ...base, refreshCredentialsBeforeMs: 1.5 })).toEqual([
      'refreshCredentialsBeforeMs must be an integer number',
    ]);
    const { credentials: _, ...withoutFunction } = base;
    expect(
      problemsOf({
        ...withoutFunction,
        accessKeyId: 'AKLTexample',
        secretAccessKey: 'long-term-secret',
        refreshCredentialsBeforeMs: 60_000,
      }),
    ).toEqual(['refreshCredentialsBeforeMs is only used with credentials']);
  });

  it("refuses rateLimit.key 'account', whose access key would change with each set", () => {
    expect(problemsOf({ ...base, rateLimit: { key: 'account' } })).toEqual([
      "rateLimit.key 'account' needs a static accessKeyId: with credentials, give a key function",
    ]);
  });
});
