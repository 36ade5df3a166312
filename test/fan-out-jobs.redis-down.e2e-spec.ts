import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { LocalRedis, startLocalRedis } from '../libs/rtc-messaging/test/local-redis';
import {
  API_KEY,
  APP_ID,
  AppUnderTest,
  deadPort,
  postJson,
  readText,
  startAppUnderTest,
} from './support/app-under-test';

jest.setTimeout(30_000);

/**
 * `/v1/fan-outs` when the jobs' Redis goes away: a redis-server of this spec's own, which it
 * stops (never the shared one). Requests are answered 503 at once with a clear body, a progress
 * stream under way ends with an `error` event, and nothing reaches stderr past the logger.
 */
describe('Fan-out jobs with their Redis down (e2e)', () => {
  let redis: LocalRedis | undefined;
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  let printed: jest.SpyInstance;

  beforeAll(async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    redis = await startLocalRedis(url);
    if (!redis) throw new Error('this spec starts a redis-server of its own: install redis-server');
    printed = jest.spyOn(console, 'error');
    emulator = new RtcOpenApiEmulator({ appIds: [APP_ID], rateLimitPerSecond: 0 });
    await emulator.start();
    // No worker: the job stays queued, so its progress stream stays open until Redis goes.
    subject = await startAppUnderTest(
      emulator.url,
      { bodies: [], headers: [] },
      {
        REDIS_URL: url,
        WORKER: 'false',
      },
    );
  });

  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
    await redis?.stop();
    printed?.mockRestore();
  });

  it('ends a progress stream with an error event, then answers 503 to every route', async () => {
    const created = await postJson(subject, '/v1/fan-outs', { to: ['user_1'], message: 'hi' });
    expect(created.status).toBe(202);
    const { id } = created.body as { id: string };

    const stream = request(subject.server)
      .get(`/v1/fan-outs/${id}/events`)
      .set('x-api-key', API_KEY)
      .buffer(true)
      .parse(readText)
      .then((res) => res);
    // Time for its first event (the queued job's counts), then Redis goes.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis?.stop();
    redis = undefined;

    const events = await stream;
    expect(events.status).toBe(200);
    const text = events.body as string;
    expect(text).toContain('event: progress');
    const error = text.split('\n\n').find((block) => block.startsWith('event: error'));
    expect(error).toBeDefined();
    expect(JSON.parse((error as string).split('data: ')[1])).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/^Fan-out jobs are unavailable: their Redis /),
    });

    for (const [call, sends] of [
      [request(subject.server).get(`/v1/fan-outs/${id}`).set('x-api-key', API_KEY), false],
      [request(subject.server).get(`/v1/fan-outs/${id}/events`).set('x-api-key', API_KEY), false],
      [request(subject.server).get(`/v1/fan-outs/${id}/results`).set('x-api-key', API_KEY), false],
      [request(subject.server).delete(`/v1/fan-outs/${id}`).set('x-api-key', API_KEY), false],
      [postJson(subject, '/v1/fan-outs', { to: ['user_2'], message: 'hi' }), true],
    ] as const) {
      const res = await call;
      expect(res.status).toBe(503);
      // `outcome` only where a message was asked to be sent (the creation).
      expect((res.body as { outcome?: string }).outcome).toBe(sends ? 'not_delivered' : undefined);
      expect(res.body).toMatchObject({
        statusCode: 503,
        message: expect.stringMatching(
          /^Fan-out jobs are unavailable: their Redis .*try again later$/,
        ),
      });
    }

    const logged = subject.logger.lines.join('\n');
    expect(logged).not.toContain('ERR_HTTP_HEADERS_SENT');
    // The store client's errors summarized: one line per message (a reset read, then refused
    // connections, as the timing falls), none repeated, none on stderr.
    const store = subject.logger.lines.filter((l) => l.includes('Fan-out store:'));
    expect(store.length).toBeGreaterThanOrEqual(1);
    expect(new Set(store).size).toBe(store.length);
    expect(printed).not.toHaveBeenCalled();
  });
});
