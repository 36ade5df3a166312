import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  AppUnderTest,
  deadPort,
  SentResponses,
  startAppUnderTest,
} from './support/app-under-test';
import { TEST_REDIS_URL } from '../libs/rtc-messaging/test/test-redis';

const REDIS_URL = TEST_REDIS_URL;
const REDIS_PASSWORD = 'redis-password-never-shown';

describe('the call budget, from the environment', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  const apps: AppUnderTest[] = [];
  let emulator: RtcOpenApiEmulator;

  /** `appId` keeps a test's budget (a key per AppId) apart from every other test's. */
  const send = (app: AppUnderTest, to = 'user_42') =>
    request(app.server)
      .post('/v1/messages/unicast')
      .set('x-api-key', API_KEY)
      .send({ to, message: 'hi' });

  async function startApp(env: Parameters<typeof startAppUnderTest>[2]): Promise<AppUnderTest> {
    // A fresh AppId per app: budgets are kept per AppId, in Redis across test runs too.
    const app = await startAppUnderTest(emulator.url, sent, {
      RTC_APP_ID: `budget-${randomUUID()}`,
      ...env,
    });
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    // Any AppId exists here.
    emulator = new RtcOpenApiEmulator();
    await emulator.start();
  });
  afterAll(async () => {
    for (const app of apps) await app.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  it('answers 429 with Retry-After when the local budget refuses, and sends nothing more', async () => {
    const app = await startApp({ RTC_RATE_LIMIT_PER_SECOND: '1', RTC_RATE_LIMIT_MAX_WAIT_MS: '0' });

    await send(app).expect(200);
    const response = await send(app).expect(429);

    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      outcome: 'not_delivered',
      retryAfterSeconds: Number(response.headers['retry-after']),
    });
    // The local budget refused: the upstream was not asked.
    expect(response.body).not.toHaveProperty('upstreamStatus');
    expect(emulator.received).toBe(1);
    expect(emulator.accepted).toHaveLength(1);
  });

  it('waits up to RTC_RATE_LIMIT_MAX_WAIT_MS for budget instead of refusing', async () => {
    const app = await startApp({
      RTC_RATE_LIMIT_PER_SECOND: '20',
      RTC_RATE_LIMIT_MAX_WAIT_MS: '2000',
    });

    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => send(app, `user_${i}`)));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(emulator.accepted).toHaveLength(5);
  });

  it('refuses at once beyond RTC_RATE_LIMIT_MAX_QUEUED waiting calls', async () => {
    const app = await startApp({
      RTC_RATE_LIMIT_PER_SECOND: '1',
      RTC_RATE_LIMIT_MAX_WAIT_MS: '5000',
      RTC_RATE_LIMIT_MAX_QUEUED: '1',
    });
    await send(app).expect(200);

    // One waits (about a second) for the next unit; the one after finds the queue full.
    // (A supertest request starts when it is awaited or `then`ed.)
    const waiting = send(app, 'user_waiting').then((response) => response.status);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await send(app, 'user_refused').expect(429);

    expect(refused.body.outcome).toBe('not_delivered');
    expect(await waiting).toBe(200);
    expect(emulator.accepted.map((message) => message.to)).toEqual(['user_42', 'user_waiting']);
  });

  describe('with REDIS_URL', () => {
    it('shares one budget between instances (a real Redis)', async () => {
      const env = {
        RTC_APP_ID: `budget-shared-${randomUUID()}`,
        REDIS_URL,
        RTC_RATE_LIMIT_PER_SECOND: '1',
        RTC_RATE_LIMIT_MAX_WAIT_MS: '0',
      };
      const first = await startApp(env);
      const second = await startApp(env);

      await send(first).expect(200);
      // The other instance finds the unit taken.
      const response = await send(second).expect(429);

      expect(response.body.outcome).toBe('not_delivered');
      expect(emulator.accepted).toHaveLength(1);
    });

    it('fails closed when Redis cannot be reached: 503, not delivered, nothing sent', async () => {
      const app = await startApp({
        REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:${await deadPort()}`,
      });

      const response = await send(app).expect(503);

      expect(response.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        outcome: 'not_delivered',
        failure: 'budget_unavailable',
      });
      expect(response.body.message).toMatch(/not sent/);
      expect(response.text).not.toMatch(/127\.0\.0\.1/);
      expect(emulator.received).toBe(0);
    });

    it('paces locally when Redis cannot be reached and RTC_RATE_LIMIT_ON_REDIS_ERROR=local', async () => {
      const app = await startApp({
        REDIS_URL: `redis://default:${REDIS_PASSWORD}@127.0.0.1:${await deadPort()}`,
        RTC_RATE_LIMIT_ON_REDIS_ERROR: 'local',
        RTC_RATE_LIMIT_INSTANCES: '2',
      });

      await send(app).expect(200);

      expect(emulator.accepted).toHaveLength(1);
    });
  });

  it('never shows a secret key or the Redis password in a response or a log', () => {
    expect(sent.bodies.length).toBeGreaterThanOrEqual(10);
    const everything = [
      ...sent.bodies,
      ...sent.headers,
      ...apps.flatMap((app) => app.logger.lines),
    ];
    for (const text of everything) {
      expect(text).not.toContain(EMULATOR_DEMO_CREDENTIALS.secretAccessKey);
      expect(text).not.toContain(REDIS_PASSWORD);
    }
  });
});
