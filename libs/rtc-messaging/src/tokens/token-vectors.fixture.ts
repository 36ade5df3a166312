import { RTC_TOKEN_PRIVILEGES, RtcTokenContent } from './token-format';

/*
 * Known-answer vectors, copied from the project's rtc-access-tokens notes §5, which computed them
 * with the official sample generator `Server/token.js` of `volcengine/rtc-aigc-demo` (fixed nonce
 * and issuedAt; the generator expands publishStream into codes 0-3).
 */

const {
  publishStream,
  publishAudioStream,
  publishVideoStream,
  publishDataStream,
  subscribeStream,
} = RTC_TOKEN_PRIVILEGES;

/** One vector: what was signed, with which key, and the token the generator wrote. */
export interface TokenVector {
  readonly name: string;
  readonly appKey: string;
  readonly content: RtcTokenContent;
  readonly token: string;
}

const APP_ID = '661e000000000000000543cf';
const APP_KEY = '0123456789abcdef0123456789abcdef';

export const TOKEN_VECTORS: readonly TokenVector[] = [
  {
    name: 'a login token (empty room id, no privileges)',
    appKey: APP_KEY,
    content: {
      appId: APP_ID,
      roomId: '',
      userId: 'user_42',
      nonce: 123456789,
      issuedAt: 1764547200,
      expiresAt: 1764633600,
      privileges: [],
    },
    token:
      '001661e000000000000000543cfGQAVzVsHgNosaQAsLmkAAAcAdXNlcl80MgAAIACEqjSK8VTSWpxwcB43RZyKDEFiobvfbN5WPCkOEh0DTQ==',
  },
  {
    name: 'a room token that publishes and subscribes, nonce 2^32-1',
    appKey: APP_KEY,
    content: {
      appId: APP_ID,
      roomId: 'room_1',
      userId: 'user_42',
      nonce: 4294967295,
      issuedAt: 1764547200,
      expiresAt: 1764633600,
      privileges: [
        publishStream,
        publishAudioStream,
        publishVideoStream,
        publishDataStream,
        subscribeStream,
      ].map((privilege) => ({ privilege, expiresAt: 1764633600 })),
    },
    token:
      '001661e000000000000000543cfPQD/////gNosaQAsLmkGAHJvb21fMQcAdXNlcl80MgUAAAAALC5pAQAALC5pAgAALC5pAwAALC5pBAAALC5pIACz1RYL6vkgzwsFwoNhSZ6zPzHdzeIqyuP4ZND5ildU5w==',
  },
  {
    name: 'a subscribe-only token with no expiry',
    appKey: APP_KEY,
    content: {
      appId: APP_ID,
      roomId: 'lobby',
      userId: 'u.ser-1_@x',
      nonce: 1,
      issuedAt: 1764547200,
      expiresAt: 0,
      privileges: [{ privilege: subscribeStream, expiresAt: 0 }],
    },
    token:
      '001661e000000000000000543cfJwABAAAAgNosaQAAAAAFAGxvYmJ5CgB1LnNlci0xX0B4AQAEAAAAAAAgAIzNEOBTwwupL8UQjl7pnn7CtxDJMog7wQNXZnlCpu12',
  },
  {
    // Ids outside the RTC id rule: a test of the format only (UTF-8 strings and key).
    name: 'non-ASCII ids and AppKey, publish privileges expiring before the token',
    appKey: 'k3y-with-ünïcödé',
    content: {
      appId: '5f0a1b2c3d4e5f60718293a4',
      roomId: '房间',
      userId: '用户',
      nonce: 305419896,
      issuedAt: 1764547200,
      expiresAt: 1765152000,
      privileges: [publishStream, publishAudioStream, publishVideoStream, publishDataStream].map(
        (privilege) => ({ privilege, expiresAt: 1764550800 }),
      ),
    },
    token:
      '0015f0a1b2c3d4e5f60718293a4NgB4VjQSgNosaQAVNmkGAOaIv+mXtAYA55So5oi3BAAAAJDoLGkBAJDoLGkCAJDoLGkDAJDoLGkgAJEbKE8DYBcpREmRArpgwl4VO/yViYEo+PY8gJx1uQ8+',
  },
];
