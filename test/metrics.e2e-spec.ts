import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { startTelemetry } from '../src/telemetry/telemetry';
import {
  AppUnderTest,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const PATH = '/v1/messages/unicast';

/** The value of the sample `name{labels…}` in a Prometheus text page, labels in any order. */
function sample(page: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of page.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...match[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('GET /metrics', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  let page: string;

  beforeAll(async () => {
    // What src/telemetry/instrumentation.ts does in main.ts; before the app, whose module takes
    // its meter when it is created. No OTLP endpoint: no traces.
    const telemetry = startTelemetry({});
    // Without an OTLP endpoint nothing is traced, so nothing could be exported.
    expect(telemetry.tracing).toBe(false);
    emulator = await startEmulator();
    subject = await startAppUnderTest(emulator.url, sent);

    await postJson(subject, PATH, { to: 'user_42', message: 'hello' }).expect(200);
    await postJson(subject, PATH, { to: 'not valid!', message: 'hello' }).expect(400);
    // Refused upstream: surely not delivered, and not retried.
    emulator.injectFault({ type: 'error', code: 'SignatureDoesNotMatch' });
    const refused = await postJson(subject, PATH, { to: 'user_42', message: 'hello' });
    expect(refused.body).toMatchObject({ outcome: 'not_delivered' });
    // An upstream error that may have delivered: outcome unknown.
    emulator.injectFault({ type: 'error', code: 'InternalError' });
    const failed = await postJson(subject, PATH, { to: 'user_42', message: 'hello' });
    expect(failed.body).toMatchObject({ outcome: 'unknown' });

    page = (await request(subject.server).get('/metrics').expect(200)).text;
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });

  it('is served in the Prometheus text format without an API key', async () => {
    const response = await request(subject.server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toMatch(/^# HELP rtc_messaging_calls_total /m);
    expect(response.text).toMatch(/^# TYPE rtc_messaging_calls_total counter$/m);
  });

  it('counts calls per outcome and error code; a request refused by validation calls nothing', () => {
    const action = { rtc_action: 'SendUnicast' };
    expect(sample(page, 'rtc_messaging_calls_total', { ...action, rtc_outcome: 'sent' })).toBe(1);
    expect(
      sample(page, 'rtc_messaging_calls_total', {
        ...action,
        rtc_outcome: 'not_delivered',
        rtc_error_code: 'SignatureDoesNotMatch',
      }),
    ).toBe(1);
    expect(
      sample(page, 'rtc_messaging_calls_total', {
        ...action,
        rtc_outcome: 'unknown',
        rtc_error_code: 'InternalError',
      }),
    ).toBe(1);
    // The 400 never reached the library: three calls in all, not four.
    const total = page
      .split('\n')
      .filter((line) => line.startsWith('rtc_messaging_calls_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(total).toBe(3);
  });

  it('shows call durations in seconds, in buckets made for seconds', () => {
    const labels = { rtc_action: 'SendUnicast', rtc_outcome: 'sent' };
    expect(sample(page, 'rtc_messaging_call_duration_seconds_count', labels)).toBe(1);
    expect(
      sample(page, 'rtc_messaging_call_duration_seconds_bucket', { ...labels, le: '60' }),
    ).toBe(1);
    expect(page).toMatch(/^rtc_messaging_budget_wait_seconds_count(\{[^}]*\})? \d+/m);
    expect(page).toMatch(/^# TYPE rtc_messaging_budget_queued gauge$/m);
  });

  it('names the service', () => {
    expect(page).toMatch(/^target_info\{[^}]*service_name="rtc-messaging-demo"/m);
  });

  it('is not served with METRICS_ENABLED=false', async () => {
    const off = await startAppUnderTest(emulator.url, sent, { METRICS_ENABLED: 'false' });
    try {
      // A public path that no route serves: 404, with no key asked for.
      await request(off.server).get('/metrics').expect(404);
    } finally {
      await off.app.close();
    }
  });
});
