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

const ROOM = 'match_17';
const SECRET = EMULATOR_DEMO_CREDENTIALS.secretAccessKey;

/** `n` distinct valid user ids. */
const userIds = (n: number, prefix = 'user_'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

interface Violation {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

describe('POST /v1/rooms/:roomId/messages[/unicast|/batch]', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  /** `key: null` sends no x-api-key header. */
  const post = (path: string, body: unknown, key: string | null = API_KEY) =>
    postJson(subject, path, body, key);
  const violationsOf = (body: { violations?: Violation[] }): Violation[] => body.violations ?? [];

  beforeAll(async () => {
    emulator = await startEmulator();
    // The overrides the tests send are allowed (test/sender-policy.e2e-spec.ts covers the rest).
    subject = await startAppUnderTest(emulator.url, sent, {
      RTC_ALLOWED_FROM: 'referee',
      RTC_ALLOWED_APP_IDS: 'other-app',
    });
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  describe('broadcast: POST /v1/rooms/:roomId/messages', () => {
    it('sends SendBroadcast to the room with the configured From and AppId', async () => {
      const response = await post(`/v1/rooms/${ROOM}/messages`, {
        message: 'Round 2 starts now',
      }).expect(200);

      expect(emulator.accepted).toHaveLength(1);
      const [accepted] = emulator.accepted;
      expect(accepted).toMatchObject({
        action: 'SendBroadcast',
        roomId: ROOM,
        appId: APP_ID,
        from: FROM,
        binary: false,
        message: 'Round 2 starts now',
      });
      expect(accepted.to).toBeUndefined();
      expect(response.body).toEqual({ requestId: accepted.requestId, message: 'Success' });
    });

    it('honours binary, from and appId', async () => {
      const bytes = Buffer.from([0, 1, 2, 255]).toString('base64');
      await post(`/v1/rooms/${ROOM}/messages`, {
        message: bytes,
        binary: true,
        from: 'referee',
        appId: 'other-app',
      }).expect(200);

      expect(emulator.accepted[0]).toMatchObject({
        action: 'SendBroadcast',
        appId: 'other-app',
        from: 'referee',
        binary: true,
        message: bytes,
      });
    });
  });

  describe('one user: POST /v1/rooms/:roomId/messages/unicast', () => {
    it('sends SendRoomUnicast to the user in the room', async () => {
      const response = await post(`/v1/rooms/${ROOM}/messages/unicast`, {
        to: 'user_42',
        message: 'You are up next',
      }).expect(200);

      expect(emulator.accepted).toEqual([
        expect.objectContaining({
          action: 'SendRoomUnicast',
          roomId: ROOM,
          to: 'user_42',
          appId: APP_ID,
          from: FROM,
          binary: false,
          message: 'You are up next',
        }),
      ]);
      expect(response.body).toEqual({
        requestId: emulator.accepted[0].requestId,
        message: 'Success',
      });
    });

    it('maps an upstream failure as for unicast: 502 with outcome unknown', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError', deliver: true });

      const response = await post(`/v1/rooms/${ROOM}/messages/unicast`, {
        to: 'user_42',
        message: 'hi',
      }).expect(502);

      expect(response.body).toMatchObject({
        outcome: 'unknown',
        failure: 'upstream_error',
        code: 'InternalError',
      });
    });
  });

  describe('many users: POST /v1/rooms/:roomId/messages/batch', () => {
    it('sends 1,201 recipients in three calls of 600, 600 and 1, in order', async () => {
      const ids = userIds(1_201);

      const response = await post(`/v1/rooms/${ROOM}/messages/batch`, {
        to: ids,
        message: 'Your team won the round',
      }).expect(200);

      expect(emulator.accepted.map((message) => message.action)).toEqual([
        'BatchSendRoomUnicast',
        'BatchSendRoomUnicast',
        'BatchSendRoomUnicast',
      ]);
      expect(emulator.accepted.map((message) => message.to)).toEqual([
        ids.slice(0, 600),
        ids.slice(600, 1_200),
        ids.slice(1_200),
      ]);
      for (const message of emulator.accepted) {
        expect(message).toMatchObject({
          roomId: ROOM,
          appId: APP_ID,
          from: FROM,
          message: 'Your team won the round',
        });
      }
      const requestIds = emulator.accepted.map((message) => message.requestId);
      expect(response.body).toEqual({
        chunks: [
          { start: 0, end: 600, status: 'sent', requestId: requestIds[0] },
          { start: 600, end: 1_200, status: 'sent', requestId: requestIds[1] },
          { start: 1_200, end: 1_201, status: 'sent', requestId: requestIds[2] },
        ],
        sent: 1_201,
        refused: 0,
        unknown: 0,
        cancelled: false,
      });
    });

    it('reports each call: one that may have delivered is unknown, the others still go', async () => {
      // The first call fails after the upstream took it; the second is refused outright.
      emulator.injectFault({ type: 'error', code: 'InternalError', deliver: true });
      emulator.injectFault({ type: 'error', code: 'AccessDenied' });

      const response = await post(`/v1/rooms/${ROOM}/messages/batch`, {
        to: userIds(1_250),
        message: 'gg',
      }).expect(200);

      expect(response.body).toMatchObject({
        sent: 50,
        refused: 600,
        unknown: 600,
        cancelled: false,
      });
      const [first, second, third] = response.body.chunks;
      expect(first).toMatchObject({ start: 0, end: 600, status: 'unknown' });
      expect(first.reason).toMatch(/InternalError/);
      expect(second).toMatchObject({ start: 600, end: 1_200, status: 'refused' });
      expect(second.reason).toMatch(/AccessDenied/);
      expect(third).toMatchObject({ start: 1_200, end: 1_250, status: 'sent' });
      // Reasons are lines, not error objects, and the recipient lists are not sent back.
      for (const chunk of response.body.chunks) {
        expect(Object.keys(chunk).sort()).toEqual(
          expect.arrayContaining(['start', 'end', 'status']),
        );
        expect(chunk).not.toHaveProperty('to');
        expect(chunk).not.toHaveProperty('error');
      }
    });
  });

  describe('invalid input: 400 naming the field, and nothing sent', () => {
    it.each([
      ['a room id with forbidden characters', 'bad%20room!'],
      ['a room id of 129 characters', 'r'.repeat(129)],
    ])('refuses %s in the path, naming roomId', async (_, roomId) => {
      const validBodies = {
        messages: { message: 'hi' },
        'messages/unicast': { to: 'user_1', message: 'hi' },
        'messages/batch': { to: ['user_1'], message: 'hi' },
      };
      for (const [path, body] of Object.entries(validBodies)) {
        const response = await post(`/v1/rooms/${roomId}/${path}`, body).expect(400);
        expect(violationsOf(response.body)).toEqual([
          expect.objectContaining({ field: 'roomId', rule: 'rtcId' }),
        ]);
        expect(violationsOf(response.body)[0].message).toContain('roomId must be');
      }
      expect(emulator.received).toBe(0);
    });

    it.each<[string, string, unknown, string, string]>([
      ['broadcast without a message', 'messages', {}, 'message', 'isString'],
      [
        'broadcast with an unknown field',
        'messages',
        { message: 'hi', to: 'user_1' },
        'to',
        'unknownField',
      ],
      [
        'broadcast with "true" as binary',
        'messages',
        { message: 'aGk=', binary: 'true' },
        'binary',
        'isBoolean',
      ],
      [
        'broadcast of 65,537 bytes',
        'messages',
        { message: 'a'.repeat(65_537) },
        'message',
        'maxMessageBytes',
      ],
      ['unicast without to', 'messages/unicast', { message: 'hi' }, 'to', 'rtcId'],
      [
        'unicast to a malformed id',
        'messages/unicast',
        { to: 'user 42', message: 'hi' },
        'to',
        'rtcId',
      ],
      [
        'unicast with a malformed from',
        'messages/unicast',
        { to: 'u', message: 'hi', from: 'a b' },
        'from',
        'rtcId',
      ],
      [
        'batch with an empty list',
        'messages/batch',
        { to: [], message: 'hi' },
        'to',
        'arrayNotEmpty',
      ],
      [
        'batch with one id, not a list',
        'messages/batch',
        { to: 'user_1', message: 'hi' },
        'to',
        'isArray',
      ],
      [
        'batch of a 20,481-byte message',
        'messages/batch',
        { to: ['user_1'], message: 'a'.repeat(20_481) },
        'message',
        'maxMessageBytes',
      ],
      ['a JSON array as the body', 'messages', [{ message: 'hi' }], '(body)', 'isObject'],
    ])('%s', async (_, path, body, field, rule) => {
      const response = await post(`/v1/rooms/${ROOM}/${path}`, body).expect(400);

      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        outcome: 'not_delivered',
      });
      expect(violationsOf(response.body)).toContainEqual(expect.objectContaining({ field, rule }));
      expect(emulator.received).toBe(0);
    });

    it('names each malformed id of a batch by its position, and sends none of the list', async () => {
      const ids = userIds(1_000);
      ids[3] = 'user 3';
      ids[700] = 'x'.repeat(129);

      const response = await post(`/v1/rooms/${ROOM}/messages/batch`, {
        to: ids,
        message: 'hi',
      }).expect(400);

      expect(violationsOf(response.body).map((v) => [v.field, v.rule])).toEqual([
        ['to[3]', 'rtcId'],
        ['to[700]', 'rtcId'],
      ]);
      expect(violationsOf(response.body)[0].message).toContain('to[3] must be a string');
      expect(emulator.received).toBe(0);
    });

    it('refuses a batch over FAN_OUT_MAX_RECIPIENTS (10,000), with every other broken rule', async () => {
      const ids = userIds(10_001, 'u');
      ids[5] = 'not valid';

      const response = await post(`/v1/rooms/${ROOM}/messages/batch`, {
        to: ids,
        message: 'hi',
        binary: 'no',
      }).expect(400);

      const violations = violationsOf(response.body);
      expect(violations).toContainEqual({
        field: 'to',
        rule: 'arrayMaxSize',
        message: 'to must contain at most 10,000 recipients; it has 10,001',
      });
      expect(violations).toContainEqual(expect.objectContaining({ field: 'to[5]', rule: 'rtcId' }));
      expect(violations).toContainEqual(expect.objectContaining({ field: 'binary' }));
      expect(emulator.received).toBe(0);
    });
  });

  it.each(['messages', 'messages/unicast', 'messages/batch'])(
    'POST /v1/rooms/:roomId/%s answers 401 without a valid x-api-key, before validating',
    async (path) => {
      for (const key of [null, 'wrong-key']) {
        const response = await post(`/v1/rooms/${ROOM}/${path}`, { to: ['user_1'] }, key).expect(
          401,
        );
        expect(response.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'a valid x-api-key header is required',
          outcome: 'not_delivered',
        });
        // Even a bad room id is not looked at.
        await post('/v1/rooms/bad%20room/messages', {}, key).expect(401);
      }
      expect(emulator.received).toBe(0);
    },
  );

  it('never sent the secret key in a response, nor logged it', () => {
    expect(sent.bodies.length).toBeGreaterThan(20);
    for (const text of [...sent.bodies, ...sent.headers, ...subject.logger.lines]) {
      expect(text).not.toContain(SECRET);
    }
  });
});
