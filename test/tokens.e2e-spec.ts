import request from 'supertest';
import { parseRtcToken, RTC_TOKEN_PRIVILEGES, verifyRtcToken } from 'nestjs-volcengine-rtc';
import { createApp } from '../src/bootstrap';
import {
  API_KEY,
  AppUnderTest,
  deadEndpoint,
  postJson,
  SentResponses,
  startAppUnderTest,
} from './support/app-under-test';

/** Tokens carry the AppId at a fixed 24 characters. */
const TOKEN_APP_ID = '661e000000000000000543cf';
const APP_KEY = 'e2e-app-key-0123456789abcdef';
const SECONDARY_APP_KEY = 'e2e-secondary-key-fedcba98';
const LOGIN = '/v1/tokens/login';
const ROOM = '/v1/tokens/room';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const { subscribeStream } = RTC_TOKEN_PRIVILEGES;

interface IssuedToken {
  token: string;
  appId: string;
  roomId: string;
  userId: string;
  issuedAt: number;
  expiresAt: number;
}

/** The names of the fields a 400 body says are wrong. */
const fieldsOf = (body: { violations?: { field: string }[] }) =>
  (body.violations ?? []).map((violation) => violation.field);

describe('POST /v1/tokens/*', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let subject: AppUnderTest;

  beforeAll(async () => {
    // Tokens need no upstream: nothing listens at the endpoint.
    subject = await startAppUnderTest(await deadEndpoint(), sent, {
      RTC_APP_ID: TOKEN_APP_ID,
      RTC_APP_KEY: APP_KEY,
      RTC_APP_KEY_SECONDARY: SECONDARY_APP_KEY,
      RTC_TOKEN_TTL_SECONDS: '3600',
    });
  });
  afterAll(async () => {
    await subject?.app.close();
  });

  describe('login', () => {
    it('answers 200 with a login token for the user, valid for RTC_TOKEN_TTL_SECONDS', async () => {
      const before = nowSeconds();
      const response = await postJson(subject, LOGIN, { userId: 'user_42' }).expect(200);
      const body = response.body as IssuedToken;

      expect(body).toEqual({
        token: expect.stringMatching(new RegExp(`^001${TOKEN_APP_ID}`)) as string,
        appId: TOKEN_APP_ID,
        roomId: '',
        userId: 'user_42',
        issuedAt: expect.any(Number) as number,
        expiresAt: body.issuedAt + 3_600,
      });
      expect(body.issuedAt).toBeGreaterThanOrEqual(before);
      expect(parseRtcToken(body.token)).toMatchObject({ roomId: '', privileges: [] });
      // Signed with the primary key, not the secondary.
      const check = { now: body.issuedAt, appId: TOKEN_APP_ID };
      expect(verifyRtcToken(body.token, APP_KEY, check).valid).toBe(true);
      expect(verifyRtcToken(body.token, SECONDARY_APP_KEY, check).valid).toBe(false);
    });

    it('takes expiresInSeconds up to 7 days, and refuses one second more, naming it', async () => {
      const week = (await postJson(subject, LOGIN, { userId: 'u', expiresInSeconds: 604_800 }))
        .body as IssuedToken;
      expect(week.expiresAt - week.issuedAt).toBe(604_800);

      const response = await postJson(subject, LOGIN, {
        userId: 'u',
        expiresInSeconds: 604_801,
      }).expect(400);
      expect(fieldsOf(response.body)).toEqual(['expiresInSeconds']);
      expect(response.body.message).toMatch(/604,800 seconds \(7 days/);
    });

    it.each([
      ['a user id outside the id rule', { userId: 'user 42!' }, 'userId'],
      ['a missing user id', {}, 'userId'],
      ['a user id of 129 characters', { userId: 'u'.repeat(129) }, 'userId'],
      ['a number as user id', { userId: 42 }, 'userId'],
      ['expiresInSeconds as a string', { userId: 'u', expiresInSeconds: '60' }, 'expiresInSeconds'],
      ['expiresInSeconds of 0', { userId: 'u', expiresInSeconds: 0 }, 'expiresInSeconds'],
      [
        'an appId (this app makes tokens for its own)',
        { userId: 'u', appId: TOKEN_APP_ID },
        'appId',
      ],
      ['a room option', { userId: 'u', publish: true }, 'publish'],
    ])('refuses %s with 400 naming the field', async (_name, body, field) => {
      const response = await postJson(subject, LOGIN, body).expect(400);
      expect(fieldsOf(response.body)).toContain(field);
    });
  });

  describe('room', () => {
    it('answers 200 with a token for the room and user, publishing and subscribing by default', async () => {
      const response = await postJson(subject, ROOM, {
        roomId: 'match_17',
        userId: 'user_42',
      }).expect(200);
      const body = response.body as IssuedToken;

      expect(body).toMatchObject({ appId: TOKEN_APP_ID, roomId: 'match_17', userId: 'user_42' });
      expect(parseRtcToken(body.token).privileges.map((p) => p.privilege)).toEqual([0, 1, 2, 3, 4]);
      expect(verifyRtcToken(body.token, APP_KEY, { now: body.issuedAt }).valid).toBe(true);
    });

    it('grants subscribe only with publish: false', async () => {
      const response = await postJson(subject, ROOM, {
        roomId: 'match_17',
        userId: 'viewer_1',
        publish: false,
        expiresInSeconds: 600,
      }).expect(200);
      const body = response.body as IssuedToken;
      expect(parseRtcToken(body.token).privileges).toEqual([
        { privilege: subscribeStream, expiresAt: body.issuedAt + 600 },
      ]);
    });

    it.each([
      ['a room id outside the id rule', { roomId: 'room #1', userId: 'u' }, 'roomId'],
      ['an empty room id', { roomId: '', userId: 'u' }, 'roomId'],
      ['a bad user id', { roomId: 'r', userId: '用户' }, 'userId'],
      ['publish as a string', { roomId: 'r', userId: 'u', publish: 'false' }, 'publish'],
      [
        'more than 7 days',
        { roomId: 'r', userId: 'u', expiresInSeconds: 604_801 },
        'expiresInSeconds',
      ],
    ])('refuses %s with 400 naming the field', async (_name, body, field) => {
      const response = await postJson(subject, ROOM, body).expect(400);
      expect(fieldsOf(response.body)).toContain(field);
    });
  });

  it.each([LOGIN, ROOM])('%s answers 401 without a valid x-api-key', async (path) => {
    await postJson(subject, path, { roomId: 'r', userId: 'u' }, null).expect(401);
    await postJson(subject, path, { roomId: 'r', userId: 'u' }, 'wrong-key').expect(401);
  });

  it('is documented in /docs-json, with the note about user authentication', async () => {
    const document = (await request(subject.server).get('/docs-json').expect(200)).body as {
      paths: Record<string, { post?: { description?: string; responses: object } }>;
    };
    for (const path of [LOGIN, ROOM]) {
      const operation = document.paths[path]?.post;
      expect(operation?.description).toMatch(/behind the app’s own user authentication/);
      expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(['200', '400', '401', '503']);
    }
  });

  it('never shows an AppKey in a response or a log line', () => {
    for (const text of [...sent.bodies, ...sent.headers, ...subject.logger.lines]) {
      expect(text).not.toContain(APP_KEY);
      expect(text).not.toContain(SECONDARY_APP_KEY);
    }
  });
});

describe('POST /v1/tokens/* without RTC_APP_KEY', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let subject: AppUnderTest;

  beforeAll(async () => {
    // A messaging-only app: any AppId, no AppKey.
    subject = await startAppUnderTest(await deadEndpoint(), sent);
  });
  afterAll(async () => {
    await subject?.app.close();
  });

  it.each([LOGIN, ROOM])('%s answers 503 saying the AppKey is not configured', async (path) => {
    const response = await postJson(subject, path, { roomId: 'r', userId: 'u' }).expect(503);
    expect(response.body).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/AppKey is not configured \(set RTC_APP_KEY\)/) as string,
    });
  });

  it('still answers 401 first to a caller without a key', async () => {
    await postJson(subject, LOGIN, { userId: 'u' }, null).expect(401);
  });
});

describe('token settings at boot', () => {
  /** Why `createApp` refused the environment (it must refuse it). */
  async function bootError(env: Record<string, string>): Promise<string> {
    try {
      const app = await createApp({
        env: {
          VOLC_ACCESSKEY: 'AKLTexample',
          VOLC_SECRETKEY: 'secret',
          RTC_APP_ID: TOKEN_APP_ID,
          RTC_FROM: 'e2e_bot',
          API_KEYS: API_KEY,
          ...env,
        },
        shutdownHooks: false,
        logger: false,
      });
      await app.close();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the app booted');
  }

  it.each([
    [{ RTC_TOKEN_TTL_SECONDS: '604801' }, /RTC_TOKEN_TTL_SECONDS must not be greater than 604800/],
    [{ RTC_TOKEN_TTL_SECONDS: '1d' }, /RTC_TOKEN_TTL_SECONDS must be an integer/],
    [{ RTC_APP_KEY: ` ${APP_KEY}` }, /RTC_APP_KEY must be a non-empty string without whitespace/],
    [
      { RTC_APP_KEY: APP_KEY, RTC_APP_KEY_SECONDARY: `${SECONDARY_APP_KEY}\n` },
      /RTC_APP_KEY_SECONDARY must be a non-empty string without whitespace/,
    ],
    [
      { RTC_APP_KEY: APP_KEY, RTC_APP_ID: 'e2e-app' },
      /RTC_APP_ID must be 24 printable ASCII characters when RTC_APP_KEY is set/,
    ],
  ])('stops on %j, naming the variable and never a key', async (env, expected) => {
    const message = await bootError(env);
    expect(message).toMatch(expected);
    expect(message).not.toContain(APP_KEY);
    expect(message).not.toContain(SECONDARY_APP_KEY);
  });
});
