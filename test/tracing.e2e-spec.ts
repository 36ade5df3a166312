import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { API_KEY, APP_ID, deadPort, FROM, startEmulator } from './support/app-under-test';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');
const PATH = '/v1/messages/unicast';
/** Span kinds as OTLP numbers them. */
const SERVER = 2;
const CLIENT = 3;

/**
 * The app as it runs in production (`node dist/src/main.js`, built by `npm run build`), so that
 * `src/telemetry/instrumentation.ts` loads first as it does there: Jest's module system bypasses
 * the require hooks the HTTP instrumentation patches `http` through, and the OTLP exporter's
 * dynamic imports need a flag under Jest's VM. The spans go to a receiver of the test's.
 */
// Starting a Node process with the SDK takes seconds on a loaded machine; the default is 5 s.
jest.setTimeout(60_000);

describe('traces over OTLP (the built app)', () => {
  const receiver = new OtlpReceiver();
  let emulator: RtcOpenApiEmulator;
  let app: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    const endpoint = await receiver.start();
    emulator = await startEmulator();
    const port = await deadPort();
    url = `http://127.0.0.1:${port}`;
    app = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
        VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
        RTC_APP_ID: APP_ID,
        RTC_FROM: FROM,
        RTC_ENDPOINT: emulator.url,
        API_KEYS: API_KEY,
        PORT: String(port),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'rtc-e2e',
        // Each batch at once rather than every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '10',
      },
      // No .env of the developer's: a directory without one.
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Listening on')) resolve();
      };
      app.stdout?.on('data', onData);
      app.stderr?.on('data', onData);
      app.once('exit', (code) => reject(new Error(`the app exited (${code}): ${output}`)));
    });
  });
  afterAll(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await once(app, 'exit');
    }
    await emulator?.stop();
    await receiver.stop();
  });

  const send = () =>
    request(url).post(PATH).set('x-api-key', API_KEY).send({ to: 'user_42', message: 'hi' });

  /** The module's span with `requestId` and the server span of the same trace, once both came. */
  const traceOf =
    (requestId: string) =>
    (spans: readonly ReceivedSpan[]): { call: ReceivedSpan; server: ReceivedSpan } | undefined => {
      const call = spans.find((span) => span.attributes['rtc.request_id'] === requestId);
      const server = spans.find((span) => span.kind === SERVER && span.traceId === call?.traceId);
      return call && server ? { call, server } : undefined;
    };

  it('exports the send and its HTTP request in one trace, with the upstream RequestId', async () => {
    const response = await send().expect(200);
    const requestId = (response.body as { requestId: string }).requestId;

    const { call, server } = await receiver.waitFor(traceOf(requestId));

    expect(call).toMatchObject({
      service: 'rtc-e2e',
      name: 'SendUnicast',
      kind: CLIENT,
      attributes: { 'rtc.action': 'SendUnicast', 'rtc.outcome': 'sent', 'rtc.app_id': APP_ID },
    });
    expect(server).toMatchObject({
      service: 'rtc-e2e',
      attributes: { 'http.request.method': 'POST', 'url.path': PATH },
    });
    expect(call.traceId).toBe(server.traceId);
    // Below the request's span (through Express's), not a trace of its own.
    expect(call.parentSpanId).toEqual(expect.any(String));
  });

  it('exports a send the upstream refused, with the RequestId of the refusal', async () => {
    emulator.injectFault({ type: 'error', code: 'SignatureDoesNotMatch' });
    const response = await send();
    const { requestId, outcome } = response.body as { requestId?: string; outcome?: string };
    expect(outcome).toBe('not_delivered');
    expect(requestId).toEqual(expect.any(String));

    const { call } = await receiver.waitFor(traceOf(requestId!));

    expect(call.attributes).toMatchObject({
      'rtc.outcome': 'not_delivered',
      'rtc.error_code': 'SignatureDoesNotMatch',
    });
  });

  it('sends nothing but JSON trace exports, and no span of a probe or a scrape', async () => {
    await request(url).get('/health/live').expect(200);
    await request(url).get('/metrics').expect(200);
    // A request after them, whose span arrives after theirs would have.
    const response = await send().expect(200);
    await receiver.waitFor(traceOf((response.body as { requestId: string }).requestId));

    expect(receiver.refused).toEqual([]);
    const probes = receiver.spans.filter((span) =>
      /\/(health|metrics)/.test(String(span.attributes['url.path'])),
    );
    expect(probes).toEqual([]);
  });

  it('logs JSON lines, with no secret', () => {
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).not.toContain(EMULATOR_DEMO_CREDENTIALS.secretAccessKey);
    expect(output).not.toContain(API_KEY);
  });
});
