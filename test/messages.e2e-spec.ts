import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  APP_ID,
  AppUnderTest,
  FROM,
  OTHER_API_KEY,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const PATH = '/v1/messages/unicast';
const SECRET = EMULATOR_DEMO_CREDENTIALS.secretAccessKey;

describe('POST /v1/messages/unicast', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  /** `key: null` sends no x-api-key header at all. */
  const send = (body: unknown, key: string | null = API_KEY) => postJson(subject, PATH, body, key);

  beforeAll(async () => {
    emulator = await startEmulator();
    // The overrides the tests send are allowed (test/sender-policy.e2e-spec.ts covers the rest).
    subject = await startAppUnderTest(emulator.url, sent, {
      RTC_ALLOWED_FROM: 'billing-bot',
      RTC_ALLOWED_APP_IDS: 'other-app',
    });
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  describe('accepted messages', () => {
    it('sends a text message with the configured From and AppId', async () => {
      const response = await send({ to: 'user_42', message: 'Hello 👋' }).expect(200);

      expect(emulator.accepted).toHaveLength(1);
      const [accepted] = emulator.accepted;
      expect(accepted).toMatchObject({
        action: 'SendUnicast',
        appId: APP_ID,
        from: FROM,
        to: 'user_42',
        binary: false,
        message: 'Hello 👋',
        accessKeyId: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
      });
      expect(response.body).toEqual({ requestId: accepted.requestId, message: 'Success' });
    });

    it('honours from, appId and binary overrides', async () => {
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      await send(
        {
          to: 'user.7@example',
          message: bytes.toString('base64'),
          binary: true,
          from: 'billing-bot',
          appId: 'other-app',
        },
        OTHER_API_KEY,
      ).expect(200);

      expect(emulator.accepted).toHaveLength(1);
      expect(emulator.accepted[0]).toMatchObject({
        appId: 'other-app',
        from: 'billing-bot',
        to: 'user.7@example',
        binary: true,
        message: bytes.toString('base64'),
      });
    });

    it.each([
      ['65,536 ASCII bytes', 'a'.repeat(65_536), false],
      ['65,536 bytes of 3-byte characters and one ASCII byte', '中'.repeat(21_845) + 'a', false],
      ['base64 of 65,536 bytes', Buffer.alloc(65_536, 7).toString('base64'), true],
    ])('accepts exactly 64 KB: %s', async (_, message, binary) => {
      await send({ to: 'user_42', message, binary }).expect(200);
      expect(emulator.accepted).toHaveLength(1);
      expect(emulator.accepted[0].message).toBe(message);
    });
  });

  describe('invalid input: 400 naming the field, and nothing sent', () => {
    interface InvalidCase {
      readonly name: string;
      readonly body: unknown;
      readonly field: string;
      readonly rule: string;
      /** What the violation's message must also say, e.g. the measured size. */
      readonly says?: string;
    }
    const to = 'user_42';

    it.each<InvalidCase>([
      { name: 'missing to', body: { message: 'hi' }, field: 'to', rule: 'rtcId' },
      {
        name: 'to with forbidden characters',
        body: { to: 'user 42!', message: 'hi' },
        field: 'to',
        rule: 'rtcId',
      },
      {
        name: 'to of 129 characters',
        body: { to: 'u'.repeat(129), message: 'hi' },
        field: 'to',
        rule: 'rtcId',
      },
      { name: 'a number as to', body: { to: 42, message: 'hi' }, field: 'to', rule: 'rtcId' },
      { name: 'an empty message', body: { to, message: '' }, field: 'message', rule: 'notEmpty' },
      {
        name: 'a number as message',
        body: { to, message: 42 },
        field: 'message',
        rule: 'isString',
      },
      { name: 'missing message', body: { to }, field: 'message', rule: 'isString' },
      {
        name: '"true" as binary',
        body: { to, message: 'aGk=', binary: 'true' },
        field: 'binary',
        rule: 'isBoolean',
      },
      {
        name: '1 as binary',
        body: { to, message: 'aGk=', binary: 1 },
        field: 'binary',
        rule: 'isBoolean',
      },
      {
        name: '65,537 bytes of text',
        body: { to, message: 'a'.repeat(65_537) },
        field: 'message',
        rule: 'maxMessageBytes',
        says: 'it is 65,537 bytes',
      },
      {
        // Over Express's default 100 KB body limit, under ours: told its size, not just "too large".
        name: '200,000 bytes of text',
        body: { to, message: 'a'.repeat(200_000) },
        field: 'message',
        rule: 'maxMessageBytes',
        says: 'it is 200,000 bytes',
      },
      {
        name: '30,000 Chinese characters (90,000 bytes)',
        body: { to, message: '中'.repeat(30_000) },
        field: 'message',
        rule: 'maxMessageBytes',
        says: 'it is 90,000 bytes',
      },
      {
        name: 'invalid base64 with binary true',
        body: { to, message: 'not base64!', binary: true },
        field: 'message',
        rule: 'canonicalBase64',
      },
      {
        name: 'base64 with whitespace',
        body: { to, message: 'aGVs bG8=', binary: true },
        field: 'message',
        rule: 'canonicalBase64',
      },
      {
        name: 'base64 decoding to 65,537 bytes',
        body: { to, message: Buffer.alloc(65_537).toString('base64'), binary: true },
        field: 'message',
        rule: 'maxMessageBytes',
        says: 'it is 65,537 bytes',
      },
      {
        name: 'an invalid from',
        body: { to, message: 'hi', from: 'a b' },
        field: 'from',
        rule: 'rtcId',
      },
      {
        name: 'an empty appId',
        body: { to, message: 'hi', appId: '' },
        field: 'appId',
        rule: 'rtcId',
      },
      {
        name: 'an unknown field',
        body: { to, message: 'hi', priority: 'high' },
        field: 'priority',
        rule: 'unknownField',
      },
      { name: 'a JSON array', body: [{ to, message: 'hi' }], field: '(body)', rule: 'isObject' },
    ])('$name', async ({ body, field, rule, says }) => {
      const response = await send(body).expect(400);

      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      const violation = (response.body as { violations: Record<string, string>[] }).violations.find(
        (v) => v.field === field,
      );
      expect(violation).toMatchObject({ field, rule });
      expect(violation?.message).toContain(field === '(body)' ? 'JSON object' : field);
      if (says !== undefined) expect(violation?.message).toContain(says);
      expect(emulator.received).toBe(0);
    });

    it('names every broken field at once', async () => {
      const response = await send({ to: '', message: 1, binary: 'yes', extra: true }).expect(400);
      const fields = (response.body as { violations: { field: string }[] }).violations.map(
        (v) => v.field,
      );
      expect(new Set(fields)).toEqual(new Set(['to', 'message', 'binary', 'extra']));
      expect(emulator.received).toBe(0);
    });

    it.each([
      ['a JSON string', '"hello"'],
      ['JSON null', 'null'],
      ['broken JSON', '{"to": "user_42",'],
    ])('refuses %s as the body', async (_, raw) => {
      const response = await request(subject.server)
        .post(PATH)
        .set('x-api-key', API_KEY)
        .set('content-type', 'application/json')
        .send(raw)
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.violations[0].field).toBe('(body)');
      expect(emulator.received).toBe(0);
    });

    it('refuses a body that is not JSON', async () => {
      const response = await request(subject.server)
        .post(PATH)
        .set('x-api-key', API_KEY)
        .set('content-type', 'text/plain')
        .send('to=user_42&message=hi')
        .expect(400);
      expect(response.body.violations).toEqual([
        expect.objectContaining({ field: '(body)', rule: 'isObject' }),
      ]);
      expect(emulator.received).toBe(0);
    });

    it('answers 413 to a 2 MB body, before reading it into a message', async () => {
      const response = await send({ to: 'user_42', message: 'a'.repeat(2 * 1024 * 1024) }).expect(
        413,
      );
      expect(response.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'the request body is larger than 1,572,144 bytes',
        outcome: 'not_delivered',
      });
      expect(emulator.received).toBe(0);
    });
  });

  describe('API key', () => {
    it.each([
      ['without x-api-key', null],
      ['with a wrong key', 'wrong-key'],
      ['with an empty key', ''],
      ['with a key differing in case', API_KEY.toUpperCase()],
    ])('answers 401 %s, before validating the body', async (_, key) => {
      const response = await send({ to: 'user_42', message: 'hi' }, key).expect(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'a valid x-api-key header is required',
        outcome: 'not_delivered',
      });
      expect(emulator.received).toBe(0);

      await send({ to: 'not valid!' }, key).expect(401);
    });
  });

  it('never sent the secret key in a response, nor logged it', () => {
    expect(sent.bodies.length).toBeGreaterThan(30);
    for (const text of [...sent.bodies, ...sent.headers, ...subject.logger.lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
