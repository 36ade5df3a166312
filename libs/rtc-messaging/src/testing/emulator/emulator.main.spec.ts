import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { V4Signer } from '../../signing';
import { emulatorHelp, parseEmulatorArgs } from './emulator.args';
import { EMULATOR_DEMO_CREDENTIALS } from './emulator.options';

/** A SendUnicast of "hi" to user_1, signed with the demo credentials. */
function signedSendUnicast(url: string): Promise<Response> {
  const body = JSON.stringify({
    AppId: 'app',
    From: 'server_bot',
    To: 'user_1',
    Binary: false,
    Message: 'hi',
  });
  const headers = new V4Signer(EMULATOR_DEMO_CREDENTIALS, {
    region: 'cn-north-1',
    service: 'rtc',
  }).sign({
    method: 'POST',
    query: { Action: 'SendUnicast', Version: '2023-07-20' },
    headers: { 'Content-Type': 'application/json', Host: new URL(url).host },
    body,
  });
  const { Host: _host, ...toSend } = headers;
  return fetch(`${url}/?Action=SendUnicast&Version=2023-07-20`, {
    method: 'POST',
    headers: toSend,
    body,
  });
}

describe('parseEmulatorArgs', () => {
  it('keeps no records by default and leaves the rest to the emulator defaults', () => {
    expect(parseEmulatorArgs([], {})).toEqual({ recordLimit: 0 });
  });

  it('reads every flag, as `--flag value` or `--flag=value`', () => {
    expect(
      parseEmulatorArgs([
        '--port',
        '8080',
        '--host=0.0.0.0',
        '--rate-limit',
        '0',
        '--rate-limit-key=accessKey',
        '--region',
        'ap-singapore-1',
        '--app-id',
        'a,b',
        '--app-id=c',
        '--access-key-id',
        'AK',
        '--secret-access-key',
        'SK',
        '--record-limit',
        '100',
      ]),
    ).toEqual({
      port: 8080,
      host: '0.0.0.0',
      rateLimitPerSecond: 0,
      rateLimitKey: 'accessKey',
      region: 'ap-singapore-1',
      appIds: ['a', 'b', 'c'],
      credentials: [{ accessKeyId: 'AK', secretAccessKey: 'SK' }],
      recordLimit: 100,
    });
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = {
      RTC_EMULATOR_PORT: '9000',
      RTC_EMULATOR_RATE_LIMIT: '50',
      RTC_EMULATOR_APP_IDS: 'x, y',
    };
    expect(parseEmulatorArgs(['--port', '9001'], env)).toEqual({
      port: 9001,
      rateLimitPerSecond: 50,
      appIds: ['x', 'y'],
      recordLimit: 0,
    });
  });

  it.each([
    [['--nope', '1'], /unknown flag --nope/],
    [['--port', 'abc'], /--port must be an integer/],
    [['--port'], /--port needs a value/],
    [['8080'], /unexpected argument/],
    [['--access-key-id', 'AK'], /go together/],
    [['--rate-limit-key', 'ip'], /appId or accessKey/],
    [['--toString'], /unknown flag --toString/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseEmulatorArgs(argv, {})).toThrow(message);
  });
});

describe('emulatorHelp', () => {
  it('lists every flag the parser takes, with its environment variable', () => {
    const help = emulatorHelp();
    for (const [flag, variable] of [
      ['--port', 'RTC_EMULATOR_PORT'],
      ['--rate-limit', 'RTC_EMULATOR_RATE_LIMIT'],
      ['--jitter-ms', 'RTC_EMULATOR_JITTER_MS'],
      ['--access-key-id', 'RTC_EMULATOR_ACCESS_KEY_ID'],
    ]) {
      expect(help).toMatch(new RegExp(`^  ${flag} .*\\[${variable}\\]`, 'm'));
    }
    // Each flag line names a flag the parser accepts: none is listed that it would refuse.
    for (const [, flag] of help.matchAll(/^ {2}--([a-z-]+) \S/gm)) {
      if (flag === 'help' || flag === 'log') continue;
      expect(() => parseEmulatorArgs([`--${flag}=1`], {})).not.toThrow(/unknown flag/);
    }
    expect(help).toContain('--help');
    expect(help).toContain('--log');
    expect(help).toContain(EMULATOR_DEMO_CREDENTIALS.accessKeyId);
  });

  it('takes --log and --help as switches, not as flags that need a value', () => {
    expect(parseEmulatorArgs(['--log', '--port', '0', '--help'], {})).toEqual({
      recordLimit: 0,
      port: 0,
    });
  });
});

describe('emulator.main as a process', () => {
  let child: ChildProcessWithoutNullStreams | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  const start = (...argv: string[]): ChildProcessWithoutNullStreams =>
    spawn(
      process.execPath,
      ['-r', 'ts-node/register', join(__dirname, 'emulator.main.ts'), ...argv],
      {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_SWC: '1' },
      },
    );

  it('answers --help with its flags on stdout and exits 0, starting nothing', async () => {
    child = start('--help');
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await once(child, 'exit')).toEqual([0, null]);
    expect(out).toContain('--rate-limit');
    expect(out).not.toMatch(/^\{"url"/m);
  }, 20_000);

  it('with --log, prints a line for each message it accepts', async () => {
    child = start('--rate-limit', '0', '--log');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const { url } = JSON.parse((await lines.next()).value as string) as { url: string };
    expect((await signedSendUnicast(url)).status).toBe(200);
    expect((await lines.next()).value).toMatch(
      /^\[emulator\] SendUnicast accepted: server_bot → user_1 \(AppId app, RequestId \w+\): "hi"$/,
    );
  }, 20_000);

  it('prints its URL as one JSON line, serves, and exits 0 with stats on SIGTERM', async () => {
    // ts-node (swc, no type check) only spares this test a build; the entry itself is plain
    // CommonJS-compatible TypeScript that runs under `node` once compiled.
    child = start('--rate-limit', '0');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const { url } = JSON.parse((await lines.next()).value as string) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const probe = await fetch(`${url}/`);
    expect(probe.status).toBe(400);

    const sent = await signedSendUnicast(url);
    expect(sent.status).toBe(200);

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const stats = JSON.parse((await lines.next()).value as string);
    // The GET of / above is a probe, not a call; nothing was throttled.
    expect(stats).toEqual({ stats: { received: 1, accepted: 1, throttled: 0, probes: 1 } });
    expect(await exited).toEqual([0, null]);
  }, 20_000);
});

describe('parseEmulatorArgs: the upstream adversaries', () => {
  it('reads where the window counts, the processing cost, stalls and --record-times', () => {
    expect(
      parseEmulatorArgs(
        [
          '--count-at',
          'answer',
          '--processing-us=300',
          '--stall-every-ms',
          '1500',
          '--stall-ms',
          '40',
          '--jitter-ms',
          '40',
          '--record-times',
          'true',
        ],
        {},
      ),
    ).toEqual({
      recordLimit: 0,
      countAt: 'answer',
      processingUs: 300,
      stallEveryMs: 1_500,
      stallMs: 40,
      arrivalJitterMs: 40,
      recordTimes: true,
    });
  });

  it('reads them from the environment too', () => {
    const env = {
      RTC_EMULATOR_COUNT_AT: 'receipt',
      RTC_EMULATOR_PROCESSING_US: '250',
      RTC_EMULATOR_STALL_EVERY_MS: '1000',
      RTC_EMULATOR_STALL_MS: '20',
      RTC_EMULATOR_RECORD_TIMES: 'false',
    };
    expect(parseEmulatorArgs([], env)).toEqual({
      recordLimit: 0,
      countAt: 'receipt',
      processingUs: 250,
      stallEveryMs: 1_000,
      stallMs: 20,
      recordTimes: false,
    });
  });

  it.each([
    [['--count-at', 'sometimes'], /--count-at must be receipt or answer/],
    [['--processing-us', '0.5'], /--processing-us must be an integer/],
    [['--stall-ms', 'x'], /--stall-ms must be an integer/],
    [['--record-times', 'yes'], /--record-times must be true or false/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseEmulatorArgs(argv, {})).toThrow(message);
  });
});
