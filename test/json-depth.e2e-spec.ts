import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  AppUnderTest,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

/** JSON text of `levels` nested arrays, or objects with one field `a`, around `1`. */
const nested = (levels: number, kind: 'array' | 'object'): string =>
  kind === 'array'
    ? `${'['.repeat(levels)}1${']'.repeat(levels)}`
    : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const DEEP = 200_000;

describe('deeply nested JSON bodies', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  const postRaw = (path: string, raw: string) =>
    request(subject.server)
      .post(path)
      .set('x-api-key', API_KEY)
      .set('content-type', 'application/json')
      .send(raw);

  beforeAll(async () => {
    emulator = await startEmulator();
    subject = await startAppUnderTest(emulator.url, sent);
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  it.each([
    [
      'in an unknown field of a unicast',
      '/v1/messages/unicast',
      'object',
      (deep: string) => `{"to":"user_42","message":"hi","extra":${deep}}`,
    ],
    [
      'in the to of a fan-out',
      '/v1/messages/fan-out',
      'array',
      (deep: string) => `{"to":${deep},"message":"hi"}`,
    ],
    [
      'in the to of a room batch',
      '/v1/rooms/match_17/messages/batch',
      'array',
      (deep: string) => `{"to":${deep},"message":"hi"}`,
    ],
    [
      'in an unknown field of a broadcast',
      '/v1/rooms/match_17/messages',
      'array',
      (deep: string) => `{"message":"hi","extra":${deep}}`,
    ],
  ] as const)('answers 400 naming (body) to 200,000 levels %s', async (_, path, kind, bodyOf) => {
    const response = await postRaw(path, bodyOf(nested(DEEP, kind))).expect(400);

    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(response.body.violations).toEqual([
      {
        field: '(body)',
        rule: 'maxDepth',
        message: 'the request body must not nest objects and arrays more than 32 levels deep',
      },
    ]);
    expect(emulator.received).toBe(0);
  });

  it('validates a body nested up to the limit as usual', async () => {
    // 32 levels: the body itself, then 31 inside the unknown field.
    const response = await postRaw(
      '/v1/messages/unicast',
      `{"to":"user_42","message":"hi","extra":${nested(31, 'array')}}`,
    ).expect(400);
    expect(response.body.violations).toEqual([
      expect.objectContaining({ field: 'extra', rule: 'unknownField' }),
    ]);
  });

  it('counts no bracket inside a string, escaped quotes and backslashes included', async () => {
    const message = `\\"${'{['.repeat(20_000)}\\\\"\\`;
    await postJson(subject, '/v1/messages/unicast', { to: 'user_42', message }).expect(200);
    expect(emulator.accepted[0].message).toBe(message);
  });
});
