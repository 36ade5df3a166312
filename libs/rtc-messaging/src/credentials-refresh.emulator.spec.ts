import { request } from 'node:http';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../test/against-emulator';
import { StubUpstream } from '../test/stub-upstream';
import { RtcUpstreamError } from './errors';
import { CredentialsProvider, ExpiringCredentials } from './signing';
import { RtcOpenApiEmulator } from './testing/emulator';
import { UnicastService } from './unicast';

const OLD_KEY = { accessKeyId: 'AKLTrotationOld', secretAccessKey: 'old-secret-value' };
const NEW_KEY = { accessKeyId: 'AKLTrotationNew', secretAccessKey: 'new-secret-value' };

/**
 * The `credentials` option over HTTP: keys rotated at runtime at the upstream (a new emulator that
 * accepts the keys the console would now accept takes over) and at the source (the function
 * returns the new set), while the module keeps running.
 *
 * The module talks to a stable front that forwards each request as received (its signed Host
 * included) to the emulator of the moment, over a fresh connection: the module's keep-alive
 * sockets never meet a server that was swapped under them.
 */
describe('credentials rotated at runtime, against the emulator', () => {
  let front: StubUpstream;
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;
  let current: ExpiringCredentials;
  let supplied: number;

  beforeEach(async () => {
    front = new StubUpstream();
    front.handler = (req, body, res) => {
      const forwarded = request(
        `${emulator.url}${req.url}`,
        { method: req.method, headers: req.headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.end(body);
    };
  });

  /** The upstream now accepts exactly `credentials`. */
  async function upstreamAccepts(...credentials: ExpiringCredentials[]): Promise<void> {
    await emulator?.stop();
    // The upstream reads the wall clock (`Date`), as a real gateway does, so that a spec that
    // steps `Date` moves the clock the signatures are checked against too.
    emulator = new RtcOpenApiEmulator({ credentials, now: () => Date.now() });
    await emulator.start();
  }

  async function boot(first: ExpiringCredentials): Promise<UnicastService> {
    await upstreamAccepts(first);
    const endpoint = await front.start();
    current = first;
    supplied = 0;
    moduleRef = await compileAgainst(emulator, {
      endpoint,
      accessKeyId: undefined,
      secretAccessKey: undefined,
      credentials: () => {
        supplied++;
        return current;
      },
      rateLimit: false,
    });
    await moduleRef.init();
    return moduleRef.get(UnicastService);
  }

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await front.stop();
    await emulator.stop();
  });

  it('calls keep succeeding through a key rotation, signed with the new key once it came', async () => {
    const unicast = await boot(OLD_KEY);
    await unicast.send({ to: 'user_1', message: 'before' });

    // A second key is created in the console, the function returns it, the old one is disabled.
    await upstreamAccepts(OLD_KEY, NEW_KEY);
    await unicast.send({ to: 'user_1', message: 'old key still active' });
    current = NEW_KEY;
    await moduleRef!.get(CredentialsProvider).refresh();
    await unicast.send({ to: 'user_1', message: 'both active' });
    await upstreamAccepts(NEW_KEY);
    await unicast.send({ to: 'user_1', message: 'old key disabled' });

    expect(emulator.accepted.map((m) => m.accessKeyId)).toEqual([NEW_KEY.accessKeyId]);
    expect(supplied).toBe(2);
  });

  it('a SignatureDoesNotMatch answer refreshes early; the call is not retried, the next one succeeds', async () => {
    const unicast = await boot(OLD_KEY);
    await unicast.send({ to: 'user_1', message: 'before' });

    // The secret was reset for the same access key: the old secret's signatures stop matching.
    const resetSecret = { ...OLD_KEY, secretAccessKey: 'reset-secret-value' };
    await upstreamAccepts(resetSecret);
    current = resetSecret;

    const refused = unicast.send({ to: 'user_1', message: 'signed with the old secret' });
    await expect(refused).rejects.toBeInstanceOf(RtcUpstreamError);
    await expect(refused).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      outcome: 'not_delivered',
    });
    expect(emulator.received).toBe(1);
    expect(supplied).toBe(2);

    await unicast.send({ to: 'user_1', message: 'signed with the reset secret' });
    expect(emulator.accepted.map((m) => m.message)).toEqual(['signed with the reset secret']);
  });

  it('a send after the wall clock jumped past expiresAt refreshes at once and is sent', async () => {
    // Only Date is faked: the module's timers (and its scheduled refresh) run on the real clock.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      const hour = 3_600_000;
      const unicast = await boot({ ...OLD_KEY, expiresAt: new Date(Date.now() + hour) });
      await unicast.send({ to: 'user_1', message: 'before' });

      // A laptop resumes two hours later (or NTP steps the clock): the old set has expired.
      jest.setSystemTime(Date.now() + 2 * hour);
      current = { ...NEW_KEY, expiresAt: new Date(Date.now() + hour) };
      await upstreamAccepts(NEW_KEY);
      await unicast.send({ to: 'user_1', message: 'after the jump' });

      expect(supplied).toBe(2);
      expect(emulator.accepted.map((m) => m.accessKeyId)).toEqual([NEW_KEY.accessKeyId]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('boot stops, naming credentials, when the function fails', async () => {
    emulator = new RtcOpenApiEmulator();
    await emulator.start();
    const compiling = compileAgainst(emulator, {
      accessKeyId: undefined,
      secretAccessKey: undefined,
      credentials: async () => Promise.reject(new Error('AssumeRole: AccessDenied')),
    });
    await expect(compiling).rejects.toThrow(
      'Invalid RtcMessagingModule options: credentials failed at boot: Error: AssumeRole: AccessDenied',
    );
  });
});
