import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rtcCallbackSignature } from '../../inbound';
import { verifyRtcToken } from '../../tokens';
import type { RtcCallbackEventBody } from '../inbound';
import { isInboundCommand, runInboundCommand } from './inbound-commands';

const APP_ID = '5f0c3a1b2d4e6f708192a3b4';
const SECRET = 'cli-callback-s3cret';
const APP_KEY = 'cli-app-key-s3cret-0123';

interface Arrival {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A plain `node:http` server answering each request with the next status of `statuses`. */
async function startServer(
  statuses: number[],
): Promise<{ url: string; arrivals: Arrival[]; server: Server }> {
  const arrivals: Arrival[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      arrivals.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.statusCode = statuses[arrivals.length - 1] ?? 200;
      response.end(`answer ${arrivals.length}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/in`, arrivals, server };
}

/** Runs a command in-process; resolves its exit code and what it printed. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const errors: string[] = [];
  const code = await runInboundCommand(
    argv,
    env,
    { write: (line) => out.push(line) },
    { write: (line) => errors.push(line) },
  );
  return { code, out, errors, printed: [...out, ...errors].join('\n') };
}

describe('the emulator command line: playing RTC towards an app server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('knows its two subcommands and nothing else', () => {
    expect(isInboundCommand('deliver-event')).toBe(true);
    expect(isInboundCommand('send-client-message')).toBe(true);
    expect(isInboundCommand('--port')).toBe(false);
    expect(isInboundCommand(undefined)).toBe(false);
  });

  describe('deliver-event', () => {
    it('delivers a signed event, retries like RTC, prints each delivery, never the secret', async () => {
      const target = await startServer([500]);
      server = target.server;
      const { code, out, printed } = await run([
        'deliver-event',
        '--url',
        target.url,
        '--secret',
        SECRET,
        '--app-id',
        APP_ID,
        '--type',
        'UserJoinRoom',
        '--data={"RoomId":"r1","UserId":"u1"}',
        '--event-id',
        'evt-cli-1',
      ]);

      expect(code).toBe(0);
      expect(out.map((line) => JSON.parse(line) as unknown)).toEqual([
        { copy: 1, delivery: 1, status: 500, ms: expect.any(Number), body: 'answer 1' },
        { copy: 1, delivery: 2, status: 200, ms: expect.any(Number), body: 'answer 2' },
        { eventId: 'evt-cli-1', eventType: 'UserJoinRoom', delivered: true, deliveries: 2 },
      ]);
      const event = JSON.parse(target.arrivals[0].body) as RtcCallbackEventBody;
      expect(event).toMatchObject({
        EventType: 'UserJoinRoom',
        EventData: '{"RoomId":"r1","UserId":"u1"}',
        EventId: 'evt-cli-1',
        AppId: APP_ID,
      });
      const { Signature, ...fields } = event;
      expect(Signature).toBe(rtcCallbackSignature(fields, SECRET));
      expect(printed).not.toContain(SECRET);
    });

    it('takes the secret from RTC_CALLBACK_SECRET, and exits 1 when never answered 200', async () => {
      const target = await startServer([503, 503, 503, 503]);
      server = target.server;
      const { code, out, printed } = await run(
        ['deliver-event', '--url', target.url, '--app-id', APP_ID, '--type', 'RoomCreate'],
        { RTC_CALLBACK_SECRET: SECRET },
      );

      expect(code).toBe(1);
      expect(JSON.parse(out.at(-1) as string)).toMatchObject({ delivered: false, deliveries: 3 });
      expect(target.arrivals).toHaveLength(3);
      expect(printed).not.toContain(SECRET);
    });

    it('sends copies, as RTC may deliver an event more than once', async () => {
      const target = await startServer([]);
      server = target.server;
      const { code } = await run([
        'deliver-event',
        `--url=${target.url}`,
        `--secret=${SECRET}`,
        `--app-id=${APP_ID}`,
        '--type=RoomCreate',
        '--copies=3',
        '--sequential=true',
      ]);
      expect(code).toBe(0);
      expect(new Set(target.arrivals.map((a) => a.body)).size).toBe(1);
      expect(target.arrivals).toHaveLength(3);
    });

    it.each([
      [['--url', 'http://127.0.0.1:9/'], /--secret is required/],
      [
        ['--url', 'http://127.0.0.1:9/', '--secret', SECRET, '--app-id', APP_ID],
        /--type is required/,
      ],
      [['--secret', SECRET, '--bogus', SECRET], /unknown flag --bogus/],
      [[SECRET], /unexpected argument$/],
      [['--secret'], /--secret needs a value/],
      [
        ['--url=u', `--secret=${SECRET}`, '--app-id=a', '--type=t', '--copies=0'],
        /copies must be an integer >= 1/,
      ],
      [
        ['--url=u', `--secret=${SECRET}`, '--app-id=a', '--type=t', '--copies=x'],
        /--copies must be/,
      ],
    ])('refuses %j with exit code 2, naming the flag and never the secret', async (flags, why) => {
      const { code, errors, printed } = await run(['deliver-event', ...flags]);
      expect(code).toBe(2);
      expect(errors.join('\n')).toMatch(why);
      expect(printed).not.toContain(SECRET);
    });
  });

  describe('send-client-message', () => {
    it('sends a message signed with a login token made with the AppKey, prints the answer', async () => {
      const target = await startServer([]);
      server = target.server;
      const { code, out, printed } = await run([
        'send-client-message',
        '--url',
        target.url,
        '--app-id',
        APP_ID,
        '--app-key',
        APP_KEY,
        '--user',
        'alice',
        '--message',
        'hello',
      ]);

      expect(code).toBe(0);
      expect(JSON.parse(out[0])).toEqual({ status: 200, ms: expect.any(Number), body: 'answer 1' });
      const [arrival] = target.arrivals;
      expect(arrival.headers['content-type']).toBeUndefined();
      const body = JSON.parse(arrival.body) as {
        message: string;
        binary: boolean;
        signature: string;
      };
      expect(body).toMatchObject({ message: 'hello', binary: false });
      const verdict = verifyRtcToken(body.signature, APP_KEY, {
        now: Math.floor(Date.now() / 1000),
        appId: APP_ID,
      });
      expect(verdict).toMatchObject({ valid: true, content: { userId: 'alice' } });
      expect(printed).not.toContain(APP_KEY);
      expect(printed).not.toContain(body.signature);
    });

    it('sends bytes from --message-base64 and a token from RTC_CLIENT_TOKEN; exits 1 on a 401', async () => {
      const target = await startServer([401]);
      server = target.server;
      const { code, printed } = await run(
        ['send-client-message', '--url', target.url, '--message-base64', 'AAEC/w=='],
        { RTC_CLIENT_TOKEN: 'the-clients-token' },
      );
      expect(code).toBe(1);
      expect(JSON.parse(target.arrivals[0].body)).toEqual({
        message: 'AAEC/w==',
        binary: true,
        signature: 'the-clients-token',
      });
      expect(printed).not.toContain('the-clients-token');
    });

    it.each([
      [['--url', 'u', '--app-key', APP_KEY], /one of --message or --message-base64/],
      [['--url', 'u', '--message', 'm'], /give --token, or --app-key/],
      [
        ['--url', 'u', '--message', 'm', '--app-key', APP_KEY, '--user', 'x'],
        /--app-id is required/,
      ],
      [
        [
          '--url',
          'http://127.0.0.1:9/',
          '--message',
          'm',
          '--app-key',
          APP_KEY,
          '--user',
          'x',
          '--app-id',
          'short',
        ],
        /appId/,
      ],
    ])('refuses %j with exit code 2, never printing the AppKey', async (flags, why) => {
      const { code, errors, printed } = await run(['send-client-message', ...flags]);
      expect(code).toBe(2);
      expect(errors.join('\n')).toMatch(why);
      expect(printed).not.toContain(APP_KEY);
    });
  });

  it('runs from emulator.main as a process, instead of starting an emulator', async () => {
    const target = await startServer([]);
    server = target.server;
    // ts-node (swc, no type check) only spares this test a build, as in emulator.main.spec.ts.
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register',
        join(__dirname, 'emulator.main.ts'),
        'deliver-event',
        '--url',
        target.url,
        '--app-id',
        APP_ID,
        '--type',
        'RoomCreate',
      ],
      {
        env: {
          ...process.env,
          TS_NODE_TRANSPILE_ONLY: '1',
          TS_NODE_SWC: '1',
          RTC_CALLBACK_SECRET: SECRET,
        },
      },
    );
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const [exitCode] = (await once(child, 'exit')) as [number];
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');

    expect(exitCode).toBe(0);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ delivered: true, deliveries: 1 });
    expect(target.arrivals).toHaveLength(1);
  }, 20_000);
});
