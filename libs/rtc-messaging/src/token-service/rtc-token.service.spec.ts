import { inspect } from 'node:util';
import { Test, TestingModule } from '@nestjs/testing';
import { RtcConfigurationError, RtcValidationError } from '../errors';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import { RTC_MESSAGING_MODULE_OPTIONS } from '../rtc-messaging.module-definition';
import { RtcMessagingModule } from '../rtc-messaging.module';
import type { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcMessagingTestingModule } from '../testing';
import { parseRtcToken, RTC_TOKEN_PRIVILEGES, verifyRtcToken } from '../tokens';
import { RTC_TOKEN_CLOCK, RtcTokenService } from '.';

const APP_ID = '661e000000000000000543cf';
const OTHER_APP_ID = '5f0a1b2c3d4e5f60718293a4';
const APP_KEY = 'primary-ÄppKey-0123456789abcdef';
const SECONDARY_APP_KEY = 'secondary-appkey-fedcba9876543210';
/** 2026-12-01T00:00:00.250Z: tokens are stamped in whole seconds. */
const NOW_MS = 1_764_547_200_250;
const NOW = 1_764_547_200;

const baseOptions: RtcMessagingModuleOptions = {
  accessKeyId: 'AKLTexample',
  secretAccessKey: 'secret-access-key',
  appId: APP_ID,
  from: 'server_bot',
  endpoint: 'http://127.0.0.1:1',
  rateLimit: false,
  appKey: APP_KEY,
};

/** The module under test, with a clock the test moves. */
async function moduleWith(
  options: Partial<RtcMessagingModuleOptions> = {},
): Promise<{ moduleRef: TestingModule; tokens: RtcTokenService; clock: { ms: number } }> {
  const clock = { ms: NOW_MS };
  const moduleRef = await Test.createTestingModule({
    imports: [RtcMessagingModule.forRoot({ ...baseOptions, ...options })],
  })
    .overrideProvider(RTC_TOKEN_CLOCK)
    .useValue({ now: () => clock.ms })
    .compile();
  return { moduleRef, tokens: moduleRef.get(RtcTokenService), clock };
}

/** The error `call` throws (it must throw). */
async function errorOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const {
  publishStream,
  publishAudioStream,
  publishVideoStream,
  publishDataStream,
  subscribeStream,
} = RTC_TOKEN_PRIVILEGES;

describe('RtcTokenService', () => {
  let moduleRef: TestingModule;
  let tokens: RtcTokenService;
  let clock: { ms: number };

  beforeEach(async () => {
    ({ moduleRef, tokens, clock } = await moduleWith());
  });
  afterEach(() => moduleRef.close());

  describe('createLoginToken', () => {
    it('makes a token with an empty room id and no privilege, valid for a day by default', async () => {
      const issued = await tokens.createLoginToken('user_42');

      expect(issued).toEqual({
        token: expect.stringMatching(/^001661e000000000000000543cf/) as string,
        appId: APP_ID,
        roomId: '',
        userId: 'user_42',
        issuedAt: NOW,
        expiresAt: NOW + 86_400,
      });
      expect(parseRtcToken(issued.token)).toMatchObject({
        appId: APP_ID,
        roomId: '',
        userId: 'user_42',
        issuedAt: NOW,
        expiresAt: NOW + 86_400,
        privileges: [],
      });
      expect(verifyRtcToken(issued.token, APP_KEY, { now: NOW, appId: APP_ID }).valid).toBe(true);
    });

    it('draws a fresh nonce for each token', async () => {
      const nonces = new Set<number>();
      for (let i = 0; i < 20; i++) {
        nonces.add(parseRtcToken((await tokens.createLoginToken('user_42')).token).nonce);
      }
      expect(nonces.size).toBe(20);
    });

    it('takes expiresInSeconds and appId', async () => {
      const issued = await tokens.createLoginToken('user_42', {
        expiresInSeconds: 604_800,
        appId: OTHER_APP_ID,
      });
      expect(issued).toMatchObject({ appId: OTHER_APP_ID, expiresAt: NOW + 604_800 });
      expect(issued.token.slice(3, 27)).toBe(OTHER_APP_ID);
    });

    it('defaults to the module tokenTtlSeconds', async () => {
      const other = await moduleWith({ tokenTtlSeconds: 3_600 });
      expect((await other.tokens.createLoginToken('u')).expiresAt).toBe(NOW + 3_600);
      await other.moduleRef.close();
    });
  });

  describe('createRoomToken', () => {
    const codesOf = (token: string) =>
      parseRtcToken(token).privileges.map(({ privilege }) => privilege);
    const publishCodes = [publishStream, publishAudioStream, publishVideoStream, publishDataStream];

    it('grants publish (audio, video, data) and subscribe by default, until the token expires', async () => {
      const issued = await tokens.createRoomToken('room_1', 'user_42', { expiresInSeconds: 60 });
      expect(issued).toMatchObject({ roomId: 'room_1', userId: 'user_42', expiresAt: NOW + 60 });
      expect(parseRtcToken(issued.token).privileges).toEqual(
        [...publishCodes, subscribeStream].map((privilege) => ({
          privilege,
          expiresAt: NOW + 60,
        })),
      );
    });

    it('leaves out what publish: false or subscribe: false turn off', async () => {
      const listener = await tokens.createRoomToken('r', 'u', { publish: false });
      const speaker = await tokens.createRoomToken('r', 'u', { subscribe: false });
      const none = await tokens.createRoomToken('r', 'u', { publish: false, subscribe: false });
      expect(codesOf(listener.token)).toEqual([subscribeStream]);
      expect(codesOf(speaker.token)).toEqual(publishCodes);
      expect(codesOf(none.token)).toEqual([]);
    });
  });

  describe('refuses bad input with RtcValidationError naming the field', () => {
    it.each([
      ['a user id outside the id rule', () => tokens.createLoginToken('user 42!'), 'userId'],
      ['an empty user id', () => tokens.createLoginToken(''), 'userId'],
      ['a user id of 129 characters', () => tokens.createLoginToken('u'.repeat(129)), 'userId'],
      ['a room id outside the id rule', () => tokens.createRoomToken('房间', 'u'), 'roomId'],
      ['an empty room id for a room token', () => tokens.createRoomToken('', 'u'), 'roomId'],
      [
        'a 23-character appId',
        () => tokens.createLoginToken('u', { appId: 'a'.repeat(23) }),
        'appId',
      ],
      [
        'a 25-character appId',
        () => tokens.createLoginToken('u', { appId: 'a'.repeat(25) }),
        'appId',
      ],
      [
        '0 seconds',
        () => tokens.createLoginToken('u', { expiresInSeconds: 0 }),
        'expiresInSeconds',
      ],
      [
        'more than 7 days',
        () => tokens.createLoginToken('u', { expiresInSeconds: 604_801 }),
        'expiresInSeconds',
      ],
      [
        'a fraction of a second',
        () => tokens.createRoomToken('r', 'u', { expiresInSeconds: 1.5 }),
        'expiresInSeconds',
      ],
      [
        'a string for publish',
        () => tokens.createRoomToken('r', 'u', { publish: 'yes' as unknown as boolean }),
        'publish',
      ],
      [
        'an unknown option',
        () => tokens.createLoginToken('u', { expiresIn: 60 } as never),
        'expiresIn',
      ],
      [
        'a room option on a login token',
        () => tokens.createLoginToken('u', { publish: true } as never),
        'publish',
      ],
      [
        'a user id among the options',
        () => tokens.createLoginToken('u', { userId: 'admin' } as never),
        'userId',
      ],
      [
        'options that are not an object',
        () => tokens.createLoginToken('u', 60 as never),
        'options',
      ],
    ])('%s', async (_name, call, field) => {
      const error = await errorOf(call);
      expect(error).toBeInstanceOf(RtcValidationError);
      expect((error as RtcValidationError).violations.map((v) => v.field)).toContain(field);
    });

    it('names the 7-day cap in the message', async () => {
      const error = await errorOf(() =>
        tokens.createLoginToken('u', { expiresInSeconds: 604_801 }),
      );
      expect((error as Error).message).toMatch(
        /expiresInSeconds must be from 1 to 604,800 seconds/,
      );
    });
  });

  describe('verifyToken', () => {
    it('accepts its own token, returning its fields', async () => {
      const issued = await tokens.createRoomToken('room_1', 'user_42');
      expect(
        await tokens.verifyToken(issued.token, { userId: 'user_42', roomId: 'room_1' }),
      ).toMatchObject({
        valid: true,
        appId: APP_ID,
        roomId: 'room_1',
        userId: 'user_42',
        issuedAt: NOW,
        expiresAt: issued.expiresAt,
      });
    });

    it('refuses an expired token, from its expiresAt on', async () => {
      const issued = await tokens.createLoginToken('user_42', { expiresInSeconds: 60 });
      clock.ms = (NOW + 59) * 1000;
      expect((await tokens.verifyToken(issued.token)).valid).toBe(true);
      clock.ms = (NOW + 60) * 1000;
      expect(await tokens.verifyToken(issued.token)).toMatchObject({
        valid: false,
        reason: 'expired',
        userId: 'user_42',
      });
    });

    it.each([
      ['userId', { userId: 'user_43' }],
      ['roomId', { roomId: '' }],
      ['appId', { appId: OTHER_APP_ID }],
    ] as const)('refuses a token for another %s than expected', async (reason, expected) => {
      const issued = await tokens.createRoomToken('room_1', 'user_42');
      expect(await tokens.verifyToken(issued.token, expected)).toMatchObject({
        valid: false,
        reason,
        problem: expect.stringContaining(reason) as string,
      });
    });

    it("refuses a token for another app than the module's unless told to expect it", async () => {
      const issued = await tokens.createLoginToken('u', { appId: OTHER_APP_ID });
      expect(await tokens.verifyToken(issued.token)).toMatchObject({ reason: 'appId' });
      expect((await tokens.verifyToken(issued.token, { appId: OTHER_APP_ID })).valid).toBe(true);
    });

    it('refuses a token with any character changed, and one signed with another key', async () => {
      const { token } = await tokens.createLoginToken('user_42');
      for (let i = 0; i < token.length; i++) {
        const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        expect({ i, valid: (await tokens.verifyToken(flipped)).valid }).toEqual({
          i,
          valid: false,
        });
      }
      const other = await moduleWith({ appKey: 'another-app-key' });
      const foreign = await other.tokens.createLoginToken('user_42');
      await other.moduleRef.close();
      expect(await tokens.verifyToken(foreign.token)).toMatchObject({ reason: 'signature' });
    });

    it('never throws for a bad token', async () => {
      for (const bad of ['', 'not a token', '001', undefined, null, 42, {}]) {
        expect(await tokens.verifyToken(bad as string)).toMatchObject({
          valid: false,
          reason: 'malformed',
        });
      }
    });

    it('refuses an expectation it does not know, rather than skip a check', async () => {
      const { token } = await tokens.createLoginToken('u');
      const error = await errorOf(() => tokens.verifyToken(token, { userID: 'u' } as never));
      expect(error).toBeInstanceOf(RtcValidationError);
    });

    it('accepts both keys during a rotation and signs with the primary', async () => {
      const before = await moduleWith({ appKey: SECONDARY_APP_KEY });
      const old = await before.tokens.createLoginToken('user_42');
      await before.moduleRef.close();
      const during = await moduleWith({ appKey: APP_KEY, secondaryAppKey: SECONDARY_APP_KEY });

      expect((await during.tokens.verifyToken(old.token)).valid).toBe(true);
      const fresh = await during.tokens.createLoginToken('user_42');
      expect(verifyRtcToken(fresh.token, APP_KEY, { now: NOW }).valid).toBe(true);
      // And once the old key is gone, its tokens are refused.
      expect(await tokens.verifyToken(old.token)).toMatchObject({ reason: 'signature' });
      await during.moduleRef.close();
    });
  });

  describe('parseToken', () => {
    it('reads a token without verifying it, even without an AppKey', async () => {
      const { token } = await tokens.createRoomToken('room_1', 'user_42', { publish: false });
      const keyless = await moduleWith({ appKey: undefined });
      expect(keyless.tokens.parseToken(token)).toMatchObject({
        appId: APP_ID,
        roomId: 'room_1',
        userId: 'user_42',
        privileges: [{ privilege: subscribeStream, expiresAt: NOW + 86_400 }],
      });
      await keyless.moduleRef.close();
    });

    it('says why a token cannot be read, as RtcValidationError on field token', () => {
      expect(() => tokens.parseToken('001short')).toThrow(RtcValidationError);
      expect(() => tokens.parseToken('001short')).toThrow(/appId must be 24 printable ASCII/);
    });
  });

  describe('without an AppKey (a messaging-only app)', () => {
    it('boots, and each token method throws RtcConfigurationError naming appKey', async () => {
      const keyless = await moduleWith({ appKey: undefined, appId: 'short-app' });
      expect([keyless.tokens.hasAppKey, tokens.hasAppKey]).toEqual([false, true]);
      for (const call of [
        () => keyless.tokens.createLoginToken('u'),
        () => keyless.tokens.createRoomToken('r', 'u'),
        () => keyless.tokens.verifyToken('001'),
      ]) {
        const error = await errorOf(call);
        expect(error).toBeInstanceOf(RtcConfigurationError);
        expect((error as Error).message).toMatch(/appKey is not set/);
      }
      await keyless.moduleRef.close();
    });
  });

  describe('module options', () => {
    it.each([
      ['an empty appKey', { appKey: '' }, /appKey must be a non-empty string/],
      ['an appKey ending in a newline', { appKey: `${APP_KEY}\n` }, /appKey must be a non-empty/],
      ['an appKey that is not a string', { appKey: 42 as never }, /appKey must be a non-empty/],
      [
        'a secondaryAppKey with spaces around',
        { secondaryAppKey: ` ${SECONDARY_APP_KEY} ` },
        /secondaryAppKey must be a non-empty/,
      ],
      [
        'a secondaryAppKey without appKey',
        { appKey: undefined, secondaryAppKey: SECONDARY_APP_KEY },
        /secondaryAppKey needs appKey/,
      ],
      ['an appId a token cannot carry', { appId: 'app-1' }, /appId must be 24 printable ASCII/],
      [
        'tokenTtlSeconds over 7 days',
        { tokenTtlSeconds: 604_801 },
        /tokenTtlSeconds must not be greater than 604800/,
      ],
      ['tokenTtlSeconds of 0', { tokenTtlSeconds: 0 }, /tokenTtlSeconds must not be less than 1/],
    ])(
      'stop the boot with %s, naming the option and never its value',
      async (_name, change, expected) => {
        const error = await errorOf(() => moduleWith(change));
        expect(error).toBeInstanceOf(RtcConfigurationError);
        expect((error as Error).message).toMatch(expected);
        for (const secret of [APP_KEY, SECONDARY_APP_KEY]) {
          expect((error as Error).message).not.toContain(secret);
        }
      },
    );
  });

  describe('AppKeys never show', () => {
    const keysShown = (text: string) =>
      [APP_KEY, SECONDARY_APP_KEY, 'primary-', 'secondary-appkey'].filter((part) =>
        text.includes(part),
      );

    it('in the resolved options, the raw options, the service and its errors', async () => {
      const rotating = await moduleWith({ secondaryAppKey: SECONDARY_APP_KEY });
      const { token } = await rotating.tokens.createLoginToken('u');
      const failures = await Promise.all([
        errorOf(() => rotating.tokens.createLoginToken('bad id!')),
        rotating.tokens.verifyToken(`${token.slice(0, -4)}AAA=`),
        rotating.tokens.verifyToken(token, { userId: 'other' }),
      ]);
      const subjects = [
        rotating.moduleRef.get(RTC_MESSAGING_OPTIONS),
        rotating.moduleRef.get(RTC_MESSAGING_MODULE_OPTIONS),
        rotating.tokens,
        ...failures,
      ];
      for (const subject of subjects) {
        const shown = [
          inspect(subject, { showHidden: true, depth: Infinity }),
          inspect(subject, { showHidden: true, depth: Infinity, customInspect: false }),
          JSON.stringify(subject) ?? '',
          String(subject),
        ];
        shown.forEach((text, how) =>
          expect({ subject: subjects.indexOf(subject), how, shown: keysShown(text) }).toEqual({
            subject: subjects.indexOf(subject),
            how,
            shown: [],
          }),
        );
      }
      await rotating.moduleRef.close();
    });
  });

  it('is provided by RtcMessagingTestingModule too, with the same rules', async () => {
    const testingRef = await Test.createTestingModule({
      imports: [RtcMessagingTestingModule.forRoot({ appId: APP_ID, appKey: APP_KEY })],
    }).compile();
    const { token } = await testingRef.get(RtcTokenService).createLoginToken('user_42');
    expect(
      await testingRef.get(RtcTokenService).verifyToken(token, { userId: 'user_42' }),
    ).toMatchObject({
      valid: true,
    });
    await testingRef.close();
  });
});
