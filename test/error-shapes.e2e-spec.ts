import request from 'supertest';
import type { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  AppUnderTest,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

/** Tokens carry the AppId at a fixed 24 characters. */
const TOKEN_APP_ID = '661e000000000000000543cf';
/** The smallest cap, so the JSON body limit is small: 262,144 + 131 bytes. */
const SMALL_LIMIT_ENV = { FAN_OUT_MAX_RECIPIENTS: '1' };
const TOO_LARGE = { to: 'user_42', message: 'x'.repeat(300_000) };

type Call = (subject: AppUnderTest) => request.Test;

/** A raw body that is not JSON, sent as JSON. */
const malformed =
  (path: string): Call =>
  (subject) =>
    request(subject.server)
      .post(path)
      .set('x-api-key', 'e2e-key')
      .set('content-type', 'application/json')
      .send('{"to": "user_42", ');

/**
 * Every error body has `statusCode`, `error` and `message`; `outcome` is on every error of a
 * request that asks to send a message (it was not sent, or may have been), and on no other:
 * a token, a job's state, a path no route serves have no delivery to speak of.
 */
describe('error bodies: one shape', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  /** No AppKey, no Redis: tokens and jobs answer 503. */
  let bare: AppUnderTest;
  /** With an AppKey: token requests reach validation. */
  let withTokens: AppUnderTest;

  beforeAll(async () => {
    emulator = await startEmulator();
    bare = await startAppUnderTest(emulator.url, sent, SMALL_LIMIT_ENV);
    withTokens = await startAppUnderTest(emulator.url, sent, {
      ...SMALL_LIMIT_ENV,
      RTC_APP_ID: TOKEN_APP_ID,
      RTC_APP_KEY: 'e2e-app-key-0123456789abcdef',
    });
  });
  afterAll(async () => {
    await bare?.app.close();
    await withTokens?.app.close();
    await emulator?.stop();
  });

  const expectCommonShape = (body: Record<string, unknown>, status: number): void => {
    expect(body).toMatchObject({
      statusCode: status,
      error: expect.any(String) as string,
      message: expect.any(String) as string,
    });
  };

  const sends: [string, number, Call][] = [
    [
      '401 without an API key',
      401,
      (s) => postJson(s, '/v1/messages/unicast', { to: 'user_42', message: 'hi' }, null),
    ],
    [
      '403 for a sender not allowed',
      403,
      (s) => postJson(s, '/v1/messages/unicast', { to: 'user_42', message: 'hi', from: 'other' }),
    ],
    ['413 for a body over the limit', 413, (s) => postJson(s, '/v1/messages/unicast', TOO_LARGE)],
    ['400 for a body that is not JSON', 400, malformed('/v1/rooms/lobby/messages')],
    [
      '400 for a broken rule',
      400,
      (s) => postJson(s, '/v1/messages/fan-out', { to: 'user_1', message: 'hi' }),
    ],
    [
      '503 for a fan-out job without Redis',
      503,
      (s) => postJson(s, '/v1/fan-outs', { to: ['user_1'], message: 'hi' }),
    ],
  ];

  it.each(sends)('a request that sends: %s has outcome not_delivered', async (_, status, call) => {
    const response = await call(bare).expect(status);
    expectCommonShape(response.body as Record<string, unknown>, status);
    expect(response.body).toMatchObject({ outcome: 'not_delivered' });
    expect(emulator.received).toBe(0);
  });

  it('a string where a list goes says only that it must be an array', async () => {
    const response = await postJson(bare, '/v1/messages/fan-out', {
      to: 'user_1',
      message: 'hi',
    }).expect(400);
    expect(response.body).toMatchObject({
      message: expect.not.stringContaining('empty') as string,
      violations: [{ field: 'to', rule: 'isArray', message: 'to must be an array' }],
    });
  });

  const others: [string, number, () => AppUnderTest, Call][] = [
    ['404 for a path no route serves', 404, () => bare, (s) => postJson(s, '/v1/nothing', {})],
    [
      '401 for a token without an API key',
      401,
      () => withTokens,
      (s) => postJson(s, '/v1/tokens/login', { userId: 'user_42' }, null),
    ],
    [
      '400 for a token with a broken rule',
      400,
      () => withTokens,
      (s) => postJson(s, '/v1/tokens/login', { userId: 'not valid!' }),
    ],
    ['400 for a token body that is not JSON', 400, () => withTokens, malformed('/v1/tokens/room')],
    [
      '413 for a token body over the limit',
      413,
      () => withTokens,
      (s) => postJson(s, '/v1/tokens/login', TOO_LARGE),
    ],
    [
      '503 for a token without an AppKey',
      503,
      () => bare,
      (s) => postJson(s, '/v1/tokens/login', { userId: 'user_42' }),
    ],
    [
      "503 for a job's state without Redis",
      503,
      () => bare,
      (s) => request(s.server).get('/v1/fan-outs/42').set('x-api-key', 'e2e-key'),
    ],
  ];

  it.each(others)(
    'a request that sends nothing: %s has no outcome',
    async (_, status, subject, call) => {
      const response = await call(subject()).expect(status);
      expectCommonShape(response.body as Record<string, unknown>, status);
      expect(response.body).not.toHaveProperty('outcome');
    },
  );
});
