import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  AppUnderTest,
  deadEndpoint,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const SECRET = EMULATOR_DEMO_CREDENTIALS.secretAccessKey;

describe('health probes', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let up: AppUnderTest;
  let down: AppUnderTest;

  beforeAll(async () => {
    emulator = await startEmulator();
    up = await startAppUnderTest(emulator.url, sent);
    down = await startAppUnderTest(await deadEndpoint(), sent);
  });
  afterAll(async () => {
    await up?.app.close();
    await down?.app.close();
    await emulator?.stop();
  });

  it('GET /health/live answers 200 without calling out', async () => {
    emulator.reset();
    const response = await request(up.server).get('/health/live').expect(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });
    expect(emulator.received).toBe(0);
  });

  it('GET /health/live answers 200 even when the RTC OpenAPI is down', async () => {
    await request(down.server).get('/health/live').expect(200);
  });

  it('GET /health/ready answers 200 when the RTC OpenAPI answers, without an API key', async () => {
    emulator.reset();
    const response = await request(up.server).get('/health/ready').expect(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { rtc: { status: 'up' } },
      error: {},
      details: { rtc: { status: 'up' } },
    });
    expect(emulator.received).toBe(1);
    // Nothing was sent: the probe calls no action.
    expect(emulator.accepted).toHaveLength(0);
  });

  it('GET /health/ready answers 503 with statuses only when the RTC OpenAPI is down, and logs why', async () => {
    const response = await request(down.server).get('/health/ready').expect(503);
    expect(response.body).toEqual({
      statusCode: 503,
      error: { rtc: { status: 'down' } },
      message: 'Service Unavailable',
      status: 'error',
      info: {},
      details: { rtc: { status: 'down' } },
    });
    // The address and the connect error are for the operator: in the log, not the answer.
    expect(down.logger.lines.join('\n')).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED/);
  });

  it('GET /health/live shows the status only', async () => {
    const response = await request(up.server).get('/health/live').expect(200);
    expect(response.body).toEqual({
      status: 'ok',
      info: { process: { status: 'up' } },
      error: {},
      details: { process: { status: 'up' } },
    });
  });

  it('never shows the secret key in a probe or a log', () => {
    expect(sent.bodies).toHaveLength(5);
    const lines = [...up.logger.lines, ...down.logger.lines];
    for (const text of [...sent.bodies, ...sent.headers, ...lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
