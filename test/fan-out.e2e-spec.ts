import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  APP_ID,
  AppUnderTest,
  FROM,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const PATH = '/v1/messages/fan-out';
const SECRET = EMULATOR_DEMO_CREDENTIALS.secretAccessKey;
/** A small cap for this file, so that going over it takes a small body. */
const MAX_RECIPIENTS = 300;

const userIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `user_${i}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /v1/messages/fan-out', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  /** `key: null` sends no x-api-key header. */
  const send = (body: unknown, key: string | null = API_KEY) => postJson(subject, PATH, body, key);

  beforeAll(async () => {
    emulator = await startEmulator();
    subject = await startAppUnderTest(emulator.url, sent, {
      FAN_OUT_MAX_RECIPIENTS: String(MAX_RECIPIENTS),
      // The overrides the tests send are allowed (test/sender-policy.e2e-spec.ts covers the rest).
      RTC_ALLOWED_FROM: 'ops_bot',
      RTC_ALLOWED_APP_IDS: 'other-app',
    });
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => {
    emulator.clearFaults();
    emulator.reset();
  });

  it('sends one SendUnicast per recipient and answers the summary', async () => {
    const response = await send({
      to: ['user_1', 'user_2', 'user_3'],
      message: 'Maintenance at 02:00',
    }).expect(200);

    expect(emulator.accepted.map((message) => message.to).sort()).toEqual([
      'user_1',
      'user_2',
      'user_3',
    ]);
    for (const message of emulator.accepted) {
      expect(message).toMatchObject({
        action: 'SendUnicast',
        appId: APP_ID,
        from: FROM,
        binary: false,
        message: 'Maintenance at 02:00',
      });
    }
    expect(response.body).toEqual({
      done: 3,
      sent: 3,
      refused: 0,
      unknown: 0,
      refusals: [],
      unknowns: [],
      cancelled: false,
      elapsedMs: expect.any(Number),
    });
  });

  it('honours binary, from and appId', async () => {
    const bytes = Buffer.from('hello').toString('base64');
    await send({
      to: ['user_1'],
      message: bytes,
      binary: true,
      from: 'ops_bot',
      appId: 'other-app',
    }).expect(200);

    expect(emulator.accepted).toEqual([
      expect.objectContaining({
        to: 'user_1',
        appId: 'other-app',
        from: 'ops_bot',
        binary: true,
        message: bytes,
      }),
    ]);
  });

  it('refuses malformed ids one by one, with the reason, and still sends to the others', async () => {
    const response = await send({
      to: ['user_1', 'bad id!', 'user_3', 'x'.repeat(129), 'user_5'],
      message: 'hi',
    }).expect(200);

    expect(response.body).toMatchObject({
      done: 5,
      sent: 3,
      refused: 2,
      unknown: 0,
      cancelled: false,
    });
    const refusals = [...response.body.refusals].sort((a, b) => a.index - b.index);
    expect(refusals).toEqual([
      {
        to: 'bad id!',
        index: 1,
        reason: expect.stringMatching(/^to must be a string of 1 to 128/),
      },
      {
        to: 'x'.repeat(129),
        index: 3,
        reason: expect.stringMatching(/^to must be a string of 1 to 128/),
      },
    ]);
    expect(emulator.accepted.map((message) => message.to).sort()).toEqual([
      'user_1',
      'user_3',
      'user_5',
    ]);
    // A malformed id is not sent at all.
    expect(emulator.received).toBe(3);
  });

  it('counts upstream failures: refused when surely not delivered, unknown when it may have been', async () => {
    emulator.injectFault({ type: 'error', code: 'AccessDenied' }, { times: 1 });
    emulator.injectFault({ type: 'error', code: 'InternalError', deliver: true }, { times: 1 });

    const response = await send({ to: userIds(4), message: 'hi' }).expect(200);

    expect(response.body).toMatchObject({ done: 4, sent: 2, refused: 1, unknown: 1 });
    expect(response.body.refusals).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/AccessDenied/) }),
    ]);
    expect(response.body.unknowns).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/InternalError/) }),
    ]);
  });

  describe('invalid requests: 400 (or 413) naming the field, and nothing sent', () => {
    it.each<[string, unknown, string, string]>([
      ['an empty list', { to: [], message: 'hi' }, 'to', 'arrayNotEmpty'],
      ['one id, not a list', { to: 'user_1', message: 'hi' }, 'to', 'isArray'],
      ['a number in the list', { to: ['user_1', 42], message: 'hi' }, 'to', 'isString'],
      ['no message', { to: ['user_1'] }, 'message', 'isString'],
      [
        'a message of 65,537 bytes',
        { to: ['user_1'], message: 'a'.repeat(65_537) },
        'message',
        'maxMessageBytes',
      ],
      [
        '"true" as binary',
        { to: ['user_1'], message: 'aGk=', binary: 'true' },
        'binary',
        'isBoolean',
      ],
      [
        'an unknown field',
        { to: ['user_1'], message: 'hi', concurrency: 100 },
        'concurrency',
        'unknownField',
      ],
      ['a JSON array', [{ to: ['user_1'], message: 'hi' }], '(body)', 'isObject'],
    ])('%s', async (_, body, field, rule) => {
      const response = await send(body).expect(400);

      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        outcome: 'not_delivered',
      });
      expect(response.body.violations).toContainEqual(expect.objectContaining({ field, rule }));
      expect(emulator.received).toBe(0);
    });

    it('refuses a list over FAN_OUT_MAX_RECIPIENTS, naming to and the count', async () => {
      const response = await send({ to: userIds(MAX_RECIPIENTS + 1), message: 'hi' }).expect(400);

      expect(response.body.violations).toEqual([
        {
          field: 'to',
          rule: 'arrayMaxSize',
          message: `to must contain at most ${MAX_RECIPIENTS} recipients; it has ${MAX_RECIPIENTS + 1}`,
        },
      ]);
      expect(emulator.received).toBe(0);
    });

    it('accepts a list of exactly FAN_OUT_MAX_RECIPIENTS ids of the longest kind', async () => {
      const longest = Array.from({ length: MAX_RECIPIENTS }, (_, i) =>
        String(i).padStart(128, 'u'),
      );

      const response = await send({ to: longest, message: 'hi' }).expect(200);

      expect(response.body).toMatchObject({ sent: MAX_RECIPIENTS, refused: 0 });
    });

    it('answers 413 to a list far over the cap, before reading it', async () => {
      const response = await send({ to: userIds(50_000), message: 'hi' }).expect(413);

      expect(response.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      expect(emulator.received).toBe(0);
    });
  });

  it('stops sending when the client goes away', async () => {
    // 300 recipients, 32 at a time, 150 ms each: about 1.5 s if the client waited.
    emulator.injectFault({ type: 'latency', ms: 150 }, { times: Infinity });
    const call = send({ to: userIds(MAX_RECIPIENTS), message: 'hi' });
    const settled = call.then(
      () => 'answered',
      () => 'aborted',
    );
    await sleep(250);
    call.abort();
    expect(await settled).toBe('aborted');

    // The calls on the wire complete; no new one starts.
    await sleep(400);
    const afterAbort = emulator.received;
    await sleep(400);
    expect(emulator.received).toBe(afterAbort);
    expect(afterAbort).toBeLessThan(MAX_RECIPIENTS / 2);
  });

  it('answers 401 without a valid x-api-key, before validating', async () => {
    for (const key of [null, 'wrong-key', '']) {
      const response = await send({ to: 'not a list' }, key).expect(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'a valid x-api-key header is required',
        outcome: 'not_delivered',
      });
    }
    expect(emulator.received).toBe(0);
  });

  it('never sent the secret key in a response, nor logged it', () => {
    expect(sent.bodies.length).toBeGreaterThan(15);
    for (const text of [...sent.bodies, ...sent.headers, ...subject.logger.lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
