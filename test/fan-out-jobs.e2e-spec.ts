import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  APP_ID,
  AppUnderTest,
  postFanOutJobNdjson,
  postJson,
  readText,
  SentResponses,
  startAppUnderTest,
} from './support/app-under-test';
import { TEST_REDIS_URL } from '../libs/rtc-messaging/test/test-redis';

const REDIS_URL = TEST_REDIS_URL;

// 20,000 calls at the 5,000/s budget take about 4 s; the rest is room for a busy machine.
jest.setTimeout(60_000);

/** Each `data:` of a Server-Sent Events stream, parsed. */
function events(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => JSON.parse(block.split('data: ')[1]) as Record<string, unknown>);
}

/** Polls `condition` every 50 ms until it holds (Jest's timeout bounds the wait). */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** `/v1/fan-outs`: jobs on BullMQ and the real Redis, sent by the app's own worker. */
describe('Fan-out jobs (e2e)', () => {
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  const sent: SentResponses = { bodies: [], headers: [] };

  beforeAll(async () => {
    const run = randomUUID().slice(0, 8);
    // Its own queue and budget (the budget is per AppId): other test files share the Redis.
    const appId = `fan-out-jobs-${run}`;
    emulator = new RtcOpenApiEmulator({
      appIds: [appId],
      rateLimitPerSecond: 0,
      recordLimit: 30_000,
    });
    await emulator.start();
    subject = await startAppUnderTest(emulator.url, sent, {
      REDIS_URL,
      RTC_APP_ID: appId,
      FAN_OUT_JOB_QUEUE: `e2e-fan-out-${run}`,
      RTC_RATE_LIMIT_PER_SECOND: '5000',
      FAN_OUT_JOB_CONCURRENCY: '64',
    });
  });

  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });

  /** `GET /v1/fan-outs/:id`'s body. */
  async function getJob({ id }: { id: string }) {
    const res = await request(subject.server).get(`/v1/fan-outs/${id}`).set('x-api-key', API_KEY);
    return res.body as {
      state: string;
      sent: number;
      refused: number;
      unknown: number;
      cancelled: number;
    };
  }

  it('20,000 recipients: 202, progress over SSE, final counts, each id accepted once', async () => {
    const to = Array.from({ length: 20_000 }, (_, i) => `user_${i}`);

    // NDJSON: a JSON body lists at most 10,000 ids.
    const created = await postFanOutJobNdjson(subject, { message: 'Maintenance at 02:00' }, to);
    expect(created.status).toBe(202);
    const { id, total } = created.body as { id: string; total: number };
    expect(total).toBe(20_000);
    expect(created.headers.location).toBe(`/v1/fan-outs/${id}`);

    const stream = await request(subject.server)
      .get(`/v1/fan-outs/${id}/events`)
      .set('x-api-key', API_KEY)
      .buffer(true)
      .parse(readText);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const progress = events(stream.body as string);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({
      id,
      state: 'completed',
      total: 20_000,
      done: 20_000,
      sent: 20_000,
      refused: 0,
      unknown: 0,
      cancelled: 0,
    });

    const job = await request(subject.server).get(`/v1/fan-outs/${id}`).set('x-api-key', API_KEY);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      state: 'completed',
      sent: 20_000,
      refused: 0,
      unknown: 0,
      cancelled: 0,
      refusals: [],
    });

    const counts = new Map<string, number>();
    for (const m of emulator.accepted)
      counts.set(m.to as string, (counts.get(m.to as string) ?? 0) + 1);
    expect(counts.size).toBe(20_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const results = await request(subject.server)
      .get(`/v1/fan-outs/${id}/results`)
      .set('x-api-key', API_KEY)
      .buffer(true)
      .parse(readText);
    expect(results.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (results.body as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { to: string; index: number; status: string });
    expect(lines.map((l) => l.to)).toEqual(to);
    expect(lines.every((l) => l.status === 'sent')).toBe(true);
  });

  it('a malformed id is a 400 naming it by position, and nothing is sent', async () => {
    const res = await postJson(subject, '/v1/fan-outs', {
      to: ['user_a', 'bad id', 'user_\ud800', 'user_b'],
      message: 'hi',
    });
    expect(res.status).toBe(400);
    expect((res.body as { violations: { field: string }[] }).violations).toEqual([
      expect.objectContaining({ field: 'to[1]', rule: 'rtcId' }),
      expect.objectContaining({ field: 'to[2]', rule: 'rtcId' }),
    ]);
    // Had a job been queued, the app's own worker would have sent its valid ids.
    const probe = await postJson(subject, '/v1/fan-outs', { to: ['user_probe'], message: 'hi' });
    await waitFor(async () => (await getJob(probe.body as { id: string })).state === 'completed');
    const sentTo = emulator.accepted.map((m) => m.to as string);
    expect(sentTo).toContain('user_probe');
    expect(sentTo.filter((to) => to === 'user_a' || to === 'user_b')).toEqual([]);
  });

  it('DELETE of a job that has ended answers 409 with the job, unchanged', async () => {
    const created = await postJson(subject, '/v1/fan-outs', { to: ['user_1'], message: 'hi' });
    await waitFor(async () => (await getJob(created.body as { id: string })).state === 'completed');
    const { id } = created.body as { id: string };
    const cancel = await request(subject.server)
      .delete(`/v1/fan-outs/${id}`)
      .set('x-api-key', API_KEY);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('already ended'),
      job: { id, state: 'completed', total: 1, sent: 1, cancelled: 0 },
    });
  });

  it('names every broken field with a 400, before anything is queued', async () => {
    const res = await postJson(subject, '/v1/fan-outs', {
      to: ['user_1', 7],
      message: '',
      atLeastOnce: 'yes',
    });
    expect(res.status).toBe(400);
    const fields = (res.body as { violations: { field: string }[] }).violations
      .map((v) => v.field)
      .sort();
    expect(fields).toEqual(['atLeastOnce', 'message', 'to']);
  });

  it('DELETE cancels a running job (202); an unknown id is 404 on every route', async () => {
    // Long enough (at 5,000 calls a second) to be running when the DELETE comes.
    const to = Array.from({ length: 8_000 }, (_, i) => `cancelled_${i}`);
    const created = await postJson(subject, '/v1/fan-outs', { to, message: 'hi' });
    const id = (created.body as { id: string }).id;
    const cancel = await request(subject.server)
      .delete(`/v1/fan-outs/${id}`)
      .set('x-api-key', API_KEY);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ id, state: 'cancelling' });
    await waitFor(async () => (await getJob({ id })).state === 'cancelled');
    const job = await getJob({ id });
    expect(job.sent + job.refused + job.unknown + job.cancelled).toBe(8_000);
    expect(job.cancelled).toBeGreaterThan(0);

    for (const path of ['', '/results', '/events']) {
      const res = await request(subject.server)
        .get(`/v1/fan-outs/${randomUUID()}${path}`)
        .set('x-api-key', API_KEY);
      expect(res.status).toBe(404);
    }
    const del = await request(subject.server)
      .delete(`/v1/fan-outs/not-an-id`)
      .set('x-api-key', API_KEY);
    expect(del.status).toBe(404);
  });

  it('needs the API key', async () => {
    const res = await postJson(subject, '/v1/fan-outs', { to: ['user_1'], message: 'hi' }, null);
    expect(res.status).toBe(401);
  });
});

describe('Fan-out jobs without REDIS_URL (e2e)', () => {
  it('answers 503 saying Redis is needed, while the synchronous fan-out still works', async () => {
    const emulator = new RtcOpenApiEmulator({ appIds: [APP_ID], rateLimitPerSecond: 0 });
    await emulator.start();
    const subject = await startAppUnderTest(emulator.url, { bodies: [], headers: [] });
    try {
      const res = await postJson(subject, '/v1/fan-outs', { to: ['user_1'], message: 'hi' });
      expect(res.status).toBe(503);
      expect((res.body as { message: string }).message).toContain('REDIS_URL');
      const get = await request(subject.server)
        .get(`/v1/fan-outs/${randomUUID()}`)
        .set('x-api-key', API_KEY);
      expect(get.status).toBe(503);
      const sync = await postJson(subject, '/v1/messages/fan-out', {
        to: ['user_1'],
        message: 'hi',
      });
      expect(sync.status).toBe(200);
    } finally {
      await subject.app.close();
      await emulator.stop();
    }
  });
});
