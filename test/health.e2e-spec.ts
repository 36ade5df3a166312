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
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { rtc: { status: 'up', endpoint: emulator.url, region: 'cn-north-1' } },
    });
    expect(emulator.received).toBe(1);
    // Nothing was sent: the probe calls no action.
    expect(emulator.accepted).toHaveLength(0);
  });

  it('GET /health/ready answers 503 with the reason when the RTC OpenAPI is down', async () => {
    const response = await request(down.server).get('/health/ready').expect(503);
    expect(response.body).toMatchObject({
      statusCode: 503,
      status: 'error',
      error: { rtc: { status: 'down', reason: expect.stringMatching(/ECONNREFUSED/) } },
    });
  });

  it('never shows the secret key in a probe or a log', () => {
    expect(sent.bodies).toHaveLength(4);
    const lines = [...up.logger.lines, ...down.logger.lines];
    for (const text of [...sent.bodies, ...sent.headers, ...lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
