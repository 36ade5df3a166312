import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  AppUnderTest,
  deadEndpoint,
  deadPort,
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
    // Nothing was sent: the probe calls no action (the emulator counts it among its probes).
    expect(emulator.probes).toBeGreaterThanOrEqual(1);
    expect(emulator.received).toBe(0);
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

  describe('with the call budget in Redis', () => {
    const REDIS_PASSWORD = 'redis-password-never-shown';
    let deadRedis: string;
    const apps: AppUnderTest[] = [];

    /** An app whose budget is in a Redis where nothing listens; no fan-out worker to start. */
    async function withDeadRedis(env: Record<string, string> = {}): Promise<AppUnderTest> {
      const app = await startAppUnderTest(emulator.url, sent, {
        REDIS_URL: deadRedis,
        WORKER: 'false',
        ...env,
      });
      apps.push(app);
      return app;
    }

    beforeAll(async () => {
      deadRedis = `redis://default:${REDIS_PASSWORD}@127.0.0.1:${await deadPort()}`;
    });
    afterAll(async () => {
      await Promise.all(apps.map(({ app }) => app.close()));
    });

    it('GET /health/ready answers 503 when Redis is down and calls fail closed, and logs why', async () => {
      const subject = await withDeadRedis();

      const response = await request(subject.server).get('/health/ready').expect(503);

      expect(response.body).toMatchObject({ status: 'error', error: { rtc: { status: 'down' } } });
      expect(JSON.stringify(response.body)).not.toMatch(/redis|127\.0\.0\.1/i);
      const log = subject.logger.lines.join('\n');
      expect(log).toMatch(/call budget unavailable, Redis does not answer/);
      expect(log).not.toContain(REDIS_PASSWORD);
      expect(log).not.toContain(deadRedis);
    });

    it('GET /health/ready answers 200 when Redis is down but calls are paced locally', async () => {
      const subject = await withDeadRedis({
        RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local',
        RTC_RATE_LIMIT_INSTANCES: '2',
      });

      await request(subject.server).get('/health/ready').expect(200);
    });

    it('never shows the Redis password in a probe or a log', () => {
      const lines = apps.flatMap((app) => app.logger.lines);
      for (const text of [...sent.bodies, ...sent.headers, ...lines]) {
        expect(text).not.toContain(REDIS_PASSWORD);
      }
    });
  });

  it('never shows the secret key in a probe or a log', () => {
    expect(sent.bodies).toHaveLength(7);
    const lines = [...up.logger.lines, ...down.logger.lines];
    for (const text of [...sent.bodies, ...sent.headers, ...lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
