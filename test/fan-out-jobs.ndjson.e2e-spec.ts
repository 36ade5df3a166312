import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { LocalRedis, startLocalRedis } from '../libs/rtc-messaging/test/local-redis';
import {
  API_KEY,
  APP_ID,
  AppUnderTest,
  deadPort,
  OTHER_API_KEY,
  postJson,
  readText,
  startAppUnderTest,
} from './support/app-under-test';

jest.setTimeout(60_000);

const NDJSON = 'application/x-ndjson';

/** An NDJSON job body: the job's line, then one JSON string per recipient. */
const ndjson = (job: object, to: readonly string[]): string =>
  [JSON.stringify(job), ...to.map((id) => JSON.stringify(id))].join('\n') + '\n';

/** A raw NDJSON body, for the lines `postFanOutJobNdjson` would never write. */
const postNdjson = (subject: AppUnderTest, body: string, key = API_KEY) =>
  request(subject.server)
    .post('/v1/fan-outs')
    .set('x-api-key', key)
    .set('content-type', NDJSON)
    .send(body);

/**
 * `POST /v1/fan-outs` as NDJSON (read as a stream), the JSON body's lower cap, and the per-key
 * limit on creations under way. Against a redis-server of the spec's own, so that "nothing was
 * created" can be checked as no key at all.
 */
describe('Fan-out job creation: NDJSON, caps and the per-key limit (e2e)', () => {
  let redis: LocalRedis | undefined;
  let admin: Redis;
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  let url: string;

  beforeAll(async () => {
    url = `redis://127.0.0.1:${await deadPort()}`;
    redis = await startLocalRedis(url);
    if (!redis) throw new Error('this spec starts a redis-server of its own: install redis-server');
    admin = new Redis(url);
    emulator = new RtcOpenApiEmulator({ appIds: [APP_ID], rateLimitPerSecond: 0 });
    await emulator.start();
    subject = await startAppUnderTest(
      emulator.url,
      { bodies: [], headers: [] },
      {
        REDIS_URL: url,
        RTC_RATE_LIMIT_PER_SECOND: '5000',
        FAN_OUT_JOB_CONCURRENCY: '64',
        FAN_OUT_JOB_CREATIONS_PER_KEY: '1',
      },
    );
  });

  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  /** The jobs' own keys (BullMQ's queue keys aside). */
  const jobKeys = () => admin.keys('rtc-fan-out:*');

  it('creates a job from NDJSON: 202, and every id sent once, in order', async () => {
    const to = Array.from({ length: 2_500 }, (_, i) => `user_${i}`);
    const created = await postNdjson(subject, ndjson({ message: 'hi', from: undefined }, to));
    expect(created.status).toBe(202);
    const { id, total } = created.body as { id: string; total: number };
    expect(total).toBe(2_500);
    expect(created.headers.location).toBe(`/v1/fan-outs/${id}`);

    await request(subject.server)
      .get(`/v1/fan-outs/${id}/events`)
      .set('x-api-key', API_KEY)
      .buffer(true)
      .parse(readText);
    const results = await request(subject.server)
      .get(`/v1/fan-outs/${id}/results`)
      .set('x-api-key', API_KEY)
      .buffer(true)
      .parse(readText);
    const lines = (results.body as string)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { to: string; status: string });
    expect(lines.map((line) => line.to)).toEqual(to);
    expect(lines.every((line) => line.status === 'sent')).toBe(true);
  });

  it('a line that is not a JSON string is a 400 naming to[i] by its line, and nothing is created', async () => {
    const before = (await jobKeys()).length;
    const to = Array.from({ length: 2_500 }, (_, i) => JSON.stringify(`user_${i}`));
    // Past the first slices, which are in Redis by then: they must go again.
    to[2_300] = 'user_2300';
    const body = `${JSON.stringify({ message: 'hi' })}\n${to.join('\n')}\n`;
    const res = await postNdjson(subject, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      violations: [
        {
          field: 'to[2300]',
          rule: 'ndjsonRecipient',
          message: expect.stringContaining('to[2300] (line 2,302) must be a JSON string'),
        },
      ],
    });
    expect((await jobKeys()).length).toBe(before);
  });

  it('a malformed id is a 400 naming to[i], every one of them, and nothing is created', async () => {
    const before = (await jobKeys()).length;
    const to = Array.from({ length: 2_500 }, (_, i) => `user_${i}`);
    to[1_500] = 'bad id';
    to[2_400] = 'x'.repeat(129);
    const res = await postNdjson(subject, ndjson({ message: 'hi' }, to));
    expect(res.status).toBe(400);
    expect(
      (res.body as { violations: { field: string }[] }).violations.map((v) => v.field),
    ).toEqual(['to[1500]', 'to[2400]']);
    expect((await jobKeys()).length).toBe(before);
  });

  it("validates the first line as the JSON body's fields, naming each; to is not among them", async () => {
    const bad = await postNdjson(subject, ndjson({ message: '', atLeastOnce: 'yes' }, ['user_1']));
    expect(bad.status).toBe(400);
    expect(
      (bad.body as { violations: { field: string }[] }).violations.map((v) => v.field).sort(),
    ).toEqual(['atLeastOnce', 'message']);

    const withTo = await postNdjson(subject, ndjson({ message: 'hi', to: ['user_1'] }, []));
    expect(withTo.status).toBe(400);
    expect(withTo.body).toMatchObject({ violations: [{ field: 'to', rule: 'ndjsonHeader' }] });

    const notJson = await postNdjson(subject, 'message: hi\n"user_1"\n');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ violations: [{ field: '(body)' }] });
  });

  it('a JSON body lists at most 10,000 ids: 413 beyond, pointing to NDJSON', async () => {
    const to = Array.from({ length: 10_001 }, (_, i) => `u${i}`);
    const res = await postJson(subject, '/v1/fan-outs', { to, message: 'hi' });
    expect(res.status).toBe(413);
    expect((res.body as { message: string }).message).toContain('application/x-ndjson');

    // Its byte limit: 256 KB + 131 bytes per id of 10,000.
    const long = 'x'.repeat(128);
    const huge = await postJson(subject, '/v1/fan-outs', {
      to: Array.from({ length: 12_100 }, () => long),
      message: 'hi',
    });
    expect(huge.status).toBe(413);
    expect((huge.body as { message: string }).message).toBe(
      'the request body is larger than 1,572,144 bytes',
    );
  });

  it('one creation under way per API key (FAN_OUT_JOB_CREATIONS_PER_KEY=1): the next is 429 with Retry-After', async () => {
    // A socket of our own, to hold a body open: the server listens for the rest of the file.
    if (!subject.server.listening) {
      await new Promise<void>((resolve) => subject.server.listen(0, '127.0.0.1', resolve));
    }
    const { port } = subject.server.address() as AddressInfo;
    // A creation whose body is still coming in.
    const open: ClientRequest = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/fan-outs',
      headers: { 'x-api-key': API_KEY, 'content-type': NDJSON },
    });
    const answered = new Promise<IncomingMessage>((resolve) => open.on('response', resolve));
    open.write(`${JSON.stringify({ message: 'hi' })}\n"user_1"\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const refused = await postNdjson(subject, ndjson({ message: 'hi' }, ['user_2']));
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({
      statusCode: 429,
      retryAfterSeconds: 1,
      message: expect.stringContaining('FAN_OUT_JOB_CREATIONS_PER_KEY'),
    });
    // Another key is not held back by this one.
    const other = await postNdjson(subject, ndjson({ message: 'hi' }, ['user_3']), OTHER_API_KEY);
    expect(other.status).toBe(202);

    open.end('"user_4"\n');
    expect((await answered).statusCode).toBe(202);
    const again = await postNdjson(subject, ndjson({ message: 'hi' }, ['user_5']));
    expect(again.status).toBe(202);
  });
});
