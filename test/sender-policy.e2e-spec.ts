import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  APP_ID,
  AppUnderTest,
  FROM,
  postJson,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

/** Every sending route, with a body that is valid but for the overrides added to it. */
const SENDING_ROUTES = [
  { path: '/v1/messages/unicast', body: { to: 'user_42', message: 'hi' } },
  { path: '/v1/messages/fan-out', body: { to: ['user_1', 'user_2'], message: 'hi' } },
  { path: '/v1/rooms/match_17/messages', body: { message: 'hi' } },
  { path: '/v1/rooms/match_17/messages/unicast', body: { to: 'user_42', message: 'hi' } },
  { path: '/v1/rooms/match_17/messages/batch', body: { to: ['user_1'], message: 'hi' } },
];

const FROM_REFUSED = {
  field: 'from',
  rule: 'allowedFrom',
  message: 'from must be the default sender id (RTC_FROM) or one of RTC_ALLOWED_FROM',
};
const APP_ID_REFUSED = {
  field: 'appId',
  rule: 'allowedAppId',
  message: 'appId must be the default AppId (RTC_APP_ID) or one of RTC_ALLOWED_APP_IDS',
};

describe('who a request may send as', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  /** No RTC_ALLOWED_* set: only the defaults. */
  let defaultsOnly: AppUnderTest;
  /** RTC_ALLOWED_FROM=billing_bot,ops_bot and RTC_ALLOWED_APP_IDS=other-app. */
  let withAllowed: AppUnderTest;

  beforeAll(async () => {
    emulator = await startEmulator();
    defaultsOnly = await startAppUnderTest(emulator.url, sent);
    withAllowed = await startAppUnderTest(emulator.url, sent, {
      RTC_ALLOWED_FROM: 'billing_bot, ops_bot',
      RTC_ALLOWED_APP_IDS: 'other-app',
    });
  });
  afterAll(async () => {
    await defaultsOnly?.app.close();
    await withAllowed?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  describe.each(SENDING_ROUTES)('POST $path', ({ path, body }) => {
    it('answers 403 naming from and appId when neither is allowed, and sends nothing', async () => {
      const response = await postJson(defaultsOnly, path, {
        ...body,
        from: 'billing_bot',
        appId: 'other-app',
      }).expect(403);

      expect(response.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(response.body.violations).toEqual([FROM_REFUSED, APP_ID_REFUSED]);
      expect(response.body.message).toContain('from must be');
      expect(emulator.received).toBe(0);
    });

    it('answers 403 to a from outside RTC_ALLOWED_FROM, and sends nothing', async () => {
      const response = await postJson(withAllowed, path, { ...body, from: 'ceo' }).expect(403);
      expect(response.body.violations).toEqual([FROM_REFUSED]);
      expect(emulator.received).toBe(0);
    });

    it('answers 403 to an appId outside RTC_ALLOWED_APP_IDS, and sends nothing', async () => {
      const response = await postJson(withAllowed, path, { ...body, appId: 'third-app' }).expect(
        403,
      );
      expect(response.body.violations).toEqual([APP_ID_REFUSED]);
      expect(emulator.received).toBe(0);
    });

    it('still answers 400 to a malformed from', async () => {
      const response = await postJson(withAllowed, path, { ...body, from: 'not valid!' }).expect(
        400,
      );
      expect(response.body.violations).toEqual([
        expect.objectContaining({ field: 'from', rule: 'rtcId' }),
      ]);
      expect(emulator.received).toBe(0);
    });

    it('sends as a listed from and AppId', async () => {
      await postJson(withAllowed, path, { ...body, from: 'ops_bot', appId: 'other-app' }).expect(
        200,
      );
      expect(emulator.accepted.length).toBeGreaterThan(0);
      for (const message of emulator.accepted) {
        expect(message).toMatchObject({ from: 'ops_bot', appId: 'other-app' });
      }
    });

    it('sends when the defaults are named explicitly', async () => {
      await postJson(defaultsOnly, path, { ...body, from: FROM, appId: APP_ID }).expect(200);
      expect(emulator.accepted.length).toBeGreaterThan(0);
    });
  });
});
