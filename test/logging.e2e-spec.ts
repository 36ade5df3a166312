import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  AppUnderTest,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const PATH = '/v1/messages/unicast';
const BEARER = 'bearer-token-never-logged';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface RequestLine {
  reqId?: string;
  msg?: string;
  req?: { headers?: Record<string, string> };
  res?: { statusCode?: number };
}

describe('request logs', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  const lines = (): RequestLine[] => subject.requestLog.map((line) => JSON.parse(line));
  const linesOf = (id: string): RequestLine[] => lines().filter((line) => line.reqId === id);

  beforeAll(async () => {
    emulator = await startEmulator();
    subject = await startAppUnderTest(emulator.url, sent);
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });

  it('logs each request as one JSON line with the id given in x-request-id, and echoes it', async () => {
    const response = await request(subject.server)
      .post(PATH)
      .set('x-api-key', API_KEY)
      .set('x-request-id', 'edge-7f3a.42')
      .send({ to: 'user_42', message: 'hello' })
      .expect(200);

    expect(response.headers['x-request-id']).toBe('edge-7f3a.42');
    const [line, ...more] = linesOf('edge-7f3a.42');
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
  });

  it('makes up an id when none is given, or when the given one is not a plain token', async () => {
    const none = await request(subject.server).get('/v1/nothing-here').set('x-api-key', API_KEY);
    const odd = await request(subject.server)
      .get('/v1/nothing-here')
      .set('x-api-key', API_KEY)
      .set('x-request-id', `{"forged": true} ${'x'.repeat(200)}`);

    for (const response of [none, odd]) {
      const id = response.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect(linesOf(id)).toHaveLength(1);
    }
  });

  it('logs a refused request too (400), with its status', async () => {
    const response = await request(subject.server)
      .post(PATH)
      .set('x-api-key', API_KEY)
      .send({ to: 'not valid!', message: 'hello' })
      .expect(400);

    expect(linesOf(response.headers['x-request-id'])).toMatchObject([{ res: { statusCode: 400 } }]);
  });

  it('logs a request refused for its API key (401), with its id and the key redacted', async () => {
    const response = await request(subject.server)
      .post(PATH)
      .set('x-api-key', 'a-wrong-key-never-logged')
      .set('x-request-id', 'no-key-1')
      .send({ to: 'user_42', message: 'hello' })
      .expect(401);

    expect(response.headers['x-request-id']).toBe('no-key-1');
    expect(linesOf('no-key-1')).toMatchObject([{ res: { statusCode: 401 } }]);
    expect(subject.requestLog.join('\n')).not.toContain('a-wrong-key-never-logged');
  });

  it('never logs the API key, an Authorization header, a cookie or the secret key', async () => {
    const response = await request(subject.server)
      .post(PATH)
      .set('x-api-key', API_KEY)
      .set('authorization', `Bearer ${BEARER}`)
      .set('cookie', `session=${BEARER}`)
      .send({ to: 'user_42', message: 'hello' })
      .expect(200);

    const [line] = linesOf(response.headers['x-request-id']);
    expect(line.req?.headers).toMatchObject({
      'x-api-key': '[redacted]',
      authorization: '[redacted]',
      cookie: '[redacted]',
    });
    const everything = [...subject.requestLog, ...subject.logger.lines].join('\n');
    expect(everything).not.toContain(API_KEY);
    expect(everything).not.toContain(BEARER);
    expect(everything).not.toContain(EMULATOR_DEMO_CREDENTIALS.secretAccessKey);
  });

  it('logs a 5xx as one line with its status, and no stack trace', async () => {
    // Without REDIS_URL the jobs answer 503: pino-http would log it with an Error it makes up.
    const response = await request(subject.server)
      .get('/v1/fan-outs/42')
      .set('x-api-key', API_KEY)
      .expect(503);

    const logged = subject.requestLog.filter((line) =>
      line.includes(response.headers['x-request-id']),
    );
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({ res: { statusCode: 503 } });
    expect(logged[0]).not.toMatch(/stack|\n\s+at /);
  });

  it('does not log probes', async () => {
    const before = subject.requestLog.length;
    await request(subject.server).get('/health/live').expect(200);
    expect(subject.requestLog).toHaveLength(before);
  });
});
