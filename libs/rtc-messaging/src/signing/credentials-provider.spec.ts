import { inspect } from 'node:util';
import { RtcConfigurationError, RtcCredentialsExpiredError } from '../errors';
import {
  CredentialsProvider,
  CredentialsSupplier,
  EARLY_REFRESH_INTERVAL_MS,
  ExpiringCredentials,
} from './credentials-provider';
import { V4Signer } from './v4-signer';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const REFRESH_BEFORE_MS = 5 * MINUTE;
const TIMEOUT_MS = 30_000;

/** A set whose secrets name it, so a leak is easy to spot and `accessKeyId` tells sets apart. */
const setOf = (name: string, expiresAt?: number): ExpiringCredentials => ({
  accessKeyId: `AKTP${name}`,
  secretAccessKey: `secret-${name}`,
  sessionToken: `STS-token-${name}`,
  expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
});

/** The access key a signer signs with, read from the Authorization header it makes. */
function accessKeyOf(signer: V4Signer): string {
  const { Authorization } = signer.sign({ method: 'POST', query: {}, headers: {}, body: '' });
  return /Credential=([^/]+)\//.exec(Authorization)![1];
}

/** A promise the test settles. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('CredentialsProvider', () => {
  let logger: { log: jest.Mock; warn: jest.Mock };
  let providers: CredentialsProvider[];

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    logger = { log: jest.fn(), warn: jest.fn() };
    providers = [];
  });

  afterEach(() => {
    for (const provider of providers) provider.onApplicationShutdown();
    jest.useRealTimers();
  });

  /** A provider of `supply`, backing off 1 s, 2 s, 4 s, … at most 60 s after failures. */
  async function start(supply: CredentialsSupplier): Promise<CredentialsProvider> {
    const provider = await CredentialsProvider.start(
      { kind: 'supplied', supply, refreshBeforeMs: REFRESH_BEFORE_MS, timeoutMs: TIMEOUT_MS },
      {
        scope: { region: 'cn-north-1', service: 'rtc' },
        backoffMs: (attempt) => Math.min(60_000, 1_000 * 2 ** (attempt - 1)),
        logger,
      },
    );
    providers.push(provider);
    return provider;
  }

  /** Everything logged, as one string. */
  const logged = (): string => JSON.stringify([logger.log.mock.calls, logger.warn.mock.calls]);

  describe('at boot', () => {
    it('signs with the first set, sync or async', async () => {
      expect(accessKeyOf((await start(() => setOf('sync'))).signer())).toBe('AKTPsync');
      expect(accessKeyOf((await start(async () => setOf('async'))).signer())).toBe('AKTPasync');
    });

    it('a failing supplier stops the boot with an RtcConfigurationError naming credentials', async () => {
      const boot = start(() => {
        throw new Error('AssumeRole: AccessDenied');
      });
      await expect(boot).rejects.toThrow(RtcConfigurationError);
      await expect(boot).rejects.toThrow(
        /credentials failed at boot: Error: AssumeRole: AccessDenied/,
      );
    });

    it('a malformed set stops the boot naming each field and rule, never a value', async () => {
      const boot = start(
        () =>
          ({
            accessKeyId: '',
            secretAccessKey: 42,
            sessionToken: 'STS-visible-token-value',
            expiresAt: 'tomorrow',
          }) as unknown as ExpiringCredentials,
      );
      await expect(boot).rejects.toThrow(
        'accessKeyId must be a non-empty string; secretAccessKey must be a non-empty string; ' +
          'expiresAt must be a valid Date when given',
      );
      await expect(boot).rejects.not.toThrow(/42|STS-visible|tomorrow/);
    });

    it('a set that already expired stops the boot', async () => {
      await expect(start(() => setOf('old', START - 1))).rejects.toThrow(
        'expiresAt must be in the future (the set expired at 2025-01-02T03:04:04.999Z)',
      );
    });
  });

  it('asks for a new set refreshBeforeMs ahead of expiresAt, not before', async () => {
    let calls = 0;
    const provider = await start(() => setOf(`n${++calls}`, Date.now() + HOUR));

    await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS - 1);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    expect(accessKeyOf(provider.signer())).toBe('AKTPn2');
    // The new set is refreshed on its own schedule in turn.
    await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS);
    expect(calls).toBe(3);
  });

  it('refreshes a set living less than refreshBeforeMs halfway through, not in a loop', async () => {
    let calls = 0;
    await start(() => setOf(`n${++calls}`, Date.now() + 2 * MINUTE));
    await jest.advanceTimersByTimeAsync(MINUTE - 1);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
  });

  it('waits out an expiry beyond the 24.8-day timer limit instead of refreshing at once', async () => {
    let calls = 0;
    const inSixtyDays = 60 * 24 * HOUR;
    await start(() => setOf(`n${++calls}`, START + inSixtyDays));
    await jest.advanceTimersByTimeAsync(inSixtyDays - REFRESH_BEFORE_MS - 1);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
  });

  it('runs one refresh at a time, however many ask, and signs with the old set until it ends', async () => {
    const pending = deferred<ExpiringCredentials>();
    let calls = 0;
    const provider = await start(() =>
      ++calls === 1 ? setOf('old', START + HOUR) : pending.promise,
    );
    const old = provider.signer();

    await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS); // the scheduled refresh
    const asked = [provider.refresh(), provider.refresh()];
    provider.rejected(old);
    expect(calls).toBe(2);
    expect(provider.signer()).toBe(old);
    expect(accessKeyOf(provider.signer())).toBe('AKTPold');

    pending.resolve(setOf('new', Date.now() + HOUR));
    await Promise.all(asked);
    expect(calls).toBe(2);
    expect(accessKeyOf(provider.signer())).toBe('AKTPnew');
  });

  it('logs a failed refresh without a secret, retries with backoff, and recovers', async () => {
    const answers: Array<() => ExpiringCredentials> = [
      () => setOf('first', START + HOUR),
      () => {
        throw new Error('STS unreachable');
      },
      () => {
        throw new Error('STS unreachable');
      },
      () => setOf('second', Date.now() + HOUR),
    ];
    let calls = 0;
    const provider = await start(() => answers[calls++]());

    await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS);
    expect(calls).toBe(2);
    expect(logger.warn).toHaveBeenLastCalledWith(
      'Refreshing the RTC credentials failed (1 in a row): Error: STS unreachable; the current ' +
        'set stays in use until 2025-01-02T04:04:05.000Z; retrying in 1000 ms',
    );
    expect(accessKeyOf(provider.signer())).toBe('AKTPfirst');

    await jest.advanceTimersByTimeAsync(999);
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(3);
    expect(logger.warn).toHaveBeenLastCalledWith(expect.stringContaining('retrying in 2000 ms'));

    await jest.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(4);
    expect(accessKeyOf(provider.signer())).toBe('AKTPsecond');
    expect(logged()).not.toMatch(/secret-|STS-token-/);
  });

  it('once a set expired without a successor, fails at once with a not_delivered error, then recovers', async () => {
    let failing = true;
    let calls = 0;
    const provider = await start(() => {
      calls++;
      if (calls === 1) return setOf('only', START + HOUR);
      if (failing) throw new Error('AssumeRole: throttled');
      return setOf('back', Date.now() + HOUR);
    });

    await jest.advanceTimersByTimeAsync(HOUR - 1);
    expect(accessKeyOf(provider.signer())).toBe('AKTPonly');
    await jest.advanceTimersByTimeAsync(1);

    let error: unknown;
    try {
      provider.signer();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RtcCredentialsExpiredError);
    expect(error).toMatchObject({
      outcome: 'not_delivered',
      expiredAt: new Date(START + HOUR),
      message:
        'RTC credentials expired at 2025-01-02T04:04:05.000Z and no new set came from the ' +
        'credentials option (last refresh: Error: AssumeRole: throttled); the message was not sent',
    });
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toMatch(/secret-|STS-token-/);

    // Still retried after the expiry (at most a minute apart here), so it recovers by itself.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(logger.warn).toHaveBeenLastCalledWith(
      expect.stringContaining(
        'the current set expired at 2025-01-02T04:04:05.000Z; calls fail until a refresh succeeds',
      ),
    );
    expect(() => provider.signer()).toThrow(RtcCredentialsExpiredError);
    failing = false;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(accessKeyOf(provider.signer())).toBe('AKTPback');
  });

  describe('a supplier call that never settles', () => {
    it('times out, is logged and retried with backoff, so the provider keeps asking and recovers', async () => {
      // The case: sets that expire after 4 s, and a second call that hangs for good.
      const signals: AbortSignal[] = [];
      let calls = 0;
      const provider = await start(({ signal }) => {
        signals.push(signal);
        calls++;
        if (calls === 2) return new Promise<ExpiringCredentials>(() => undefined);
        return setOf(`n${calls}`, Date.now() + 4_000);
      });

      await jest.advanceTimersByTimeAsync(2_000); // halfway through the set's life: the hung call
      expect(calls).toBe(2);
      await jest.advanceTimersByTimeAsync(2_000);
      expect(() => provider.signer()).toThrow(RtcCredentialsExpiredError);

      await jest.advanceTimersByTimeAsync(TIMEOUT_MS - 2_000); // 30 s after the call began
      expect(signals[1].aborted).toBe(true);
      expect(logger.warn).toHaveBeenLastCalledWith(
        'Refreshing the RTC credentials failed (1 in a row): TimeoutError: credentials did not ' +
          'answer within 30000 ms; the current set expired at 2025-01-02T03:04:09.000Z; calls ' +
          'fail until a refresh succeeds; retrying in 1000 ms',
      );
      await jest.advanceTimersByTimeAsync(1_000);
      expect(calls).toBe(3);
      expect(accessKeyOf(provider.signer())).toBe('AKTPn3');
      // And it goes on asking on the new set's schedule.
      await jest.advanceTimersByTimeAsync(2_000);
      expect(calls).toBe(4);
    });

    it('at boot stops the boot with an RtcConfigurationError naming credentials and the timeout', async () => {
      let signal: AbortSignal | undefined;
      const boot = start((request) => {
        signal = request.signal;
        return new Promise<ExpiringCredentials>(() => undefined);
      });
      const failed = expect(boot).rejects.toThrow(
        'credentials failed at boot: TimeoutError: credentials did not answer within 30000 ms',
      );
      await jest.advanceTimersByTimeAsync(TIMEOUT_MS);
      await failed;
      await expect(boot).rejects.toBeInstanceOf(RtcConfigurationError);
      expect(signal?.aborted).toBe(true);
    });

    it('ignores the late answer of a call that timed out', async () => {
      const late = deferred<ExpiringCredentials>();
      let calls = 0;
      const provider = await start(() => {
        calls++;
        if (calls === 2) return late.promise;
        return setOf(`n${calls}`, Date.now() + HOUR);
      });
      await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS + TIMEOUT_MS + 1_000);
      expect(calls).toBe(3);
      late.resolve(setOf('late', Date.now() + HOUR));
      await jest.advanceTimersByTimeAsync(0);
      expect(accessKeyOf(provider.signer())).toBe('AKTPn3');
    });
  });

  describe('a wall clock that jumps (a laptop resumes, NTP steps)', () => {
    it('a call that finds its set expired refreshes at once and signs with the new set', async () => {
      let calls = 0;
      const provider = await start(() => setOf(`n${++calls}`, Date.now() + HOUR));

      // Two hours on the wall clock, none on the timers': the scheduled refresh is far off.
      jest.setSystemTime(START + 2 * HOUR);
      const signers = await Promise.all([
        provider.freshSigner(10_000),
        provider.freshSigner(10_000),
      ]);
      expect(calls).toBe(2); // one refresh for both calls
      expect(signers.map(accessKeyOf)).toEqual(['AKTPn2', 'AKTPn2']);
    });

    it('a call inside the refresh lead starts the refresh but signs with the valid set at once', async () => {
      const pending = deferred<ExpiringCredentials>();
      let calls = 0;
      const provider = await start(() =>
        ++calls === 1 ? setOf('old', START + HOUR) : pending.promise,
      );
      jest.setSystemTime(START + HOUR - REFRESH_BEFORE_MS + 1);
      expect(accessKeyOf(await provider.freshSigner(10_000))).toBe('AKTPold');
      expect(accessKeyOf(provider.signer())).toBe('AKTPold');
      expect(calls).toBe(2);
      pending.resolve(setOf('new', Date.now() + HOUR));
      await jest.advanceTimersByTimeAsync(0);
      expect(accessKeyOf(provider.signer())).toBe('AKTPnew');
    });

    it('the call waits for the refresh within its own deadline', async () => {
      const answer = deferred<ExpiringCredentials>();
      let calls = 0;
      const provider = await start(() =>
        ++calls === 1 ? setOf('old', START + HOUR) : answer.promise,
      );
      jest.setSystemTime(START + 2 * HOUR);

      // The refresh answers after the call's 10 s: the call fails, not_delivered, at its deadline.
      const late = provider.freshSigner(10_000);
      const refused = expect(late).rejects.toBeInstanceOf(RtcCredentialsExpiredError);
      await jest.advanceTimersByTimeAsync(10_000);
      await refused;

      // The same refresh, still in flight, answers within the next call's deadline: it signs.
      const waiting = provider.freshSigner(10_000);
      answer.resolve(setOf('new', Date.now() + HOUR));
      expect(accessKeyOf(await waiting)).toBe('AKTPnew');
      expect(calls).toBe(2);
    });

    it('a backoff is not stretched by a clock stepped back', async () => {
      let calls = 0;
      await start(() => {
        calls++;
        if (calls === 2) throw new Error('STS unreachable');
        return setOf(`n${calls}`, Date.now() + HOUR);
      });
      await jest.advanceTimersByTimeAsync(HOUR - REFRESH_BEFORE_MS);
      expect(calls).toBe(2);
      jest.setSystemTime(Date.now() - 2 * HOUR);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(calls).toBe(3);
    });
  });

  it('refreshes early when the upstream refuses the current set, at most once a minute', async () => {
    let calls = 0;
    const provider = await start(() => setOf(`n${++calls}`));
    const first = provider.signer();

    provider.rejected(first);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    expect(logger.warn).toHaveBeenCalledWith(
      'The upstream refused access key AKTPn1; asking credentials for a new set early',
    );

    // A late refusal of the replaced set, and a refusal of the new one within the minute: no call.
    provider.rejected(first);
    provider.rejected(provider.signer());
    await jest.advanceTimersByTimeAsync(EARLY_REFRESH_INTERVAL_MS - 1);
    provider.rejected(provider.signer());
    expect(calls).toBe(2);

    // A minute on, a refusal of the replaced set is still no reason: a newer set signs now.
    await jest.advanceTimersByTimeAsync(1);
    provider.rejected(first);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    provider.rejected(provider.signer());
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(3);
  });

  it('a set without expiresAt is never refreshed on a schedule', async () => {
    let calls = 0;
    await start(() => setOf(`n${++calls}`));
    await jest.advanceTimersByTimeAsync(30 * 24 * HOUR);
    expect(calls).toBe(1);
  });

  it('static keys are signed with as given and never refreshed', async () => {
    const supply = jest.fn();
    const provider = await CredentialsProvider.start(
      {
        kind: 'static',
        credentials: { accessKeyId: 'AKLTstatic', secretAccessKey: 'secret-static' },
      },
      { scope: { region: 'cn-north-1', service: 'rtc' }, backoffMs: () => 0, logger },
    );
    provider.rejected(provider.signer());
    await provider.refresh();
    expect(accessKeyOf(provider.signer())).toBe('AKLTstatic');
    expect(supply).not.toHaveBeenCalled();
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('after shutdown the supplier is not called again', async () => {
    let calls = 0;
    const provider = await start(() => setOf(`n${++calls}`, Date.now() + HOUR));
    provider.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(2 * HOUR);
    await provider.refresh();
    expect(calls).toBe(1);
  });

  it('shows no secret when inspected or serialized', async () => {
    const provider = await start(() => setOf('shown', Date.now() + HOUR));
    accessKeyOf(provider.signer());
    for (const shown of [
      inspect(provider, { showHidden: true, depth: Infinity }),
      JSON.stringify(provider),
    ]) {
      expect(shown).not.toMatch(/secret-|STS-token-/);
    }
  });
});
