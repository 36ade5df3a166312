import { RtcCallbackSignedFields } from './rtc-callback-signature';

/** One known-answer vector of the callback signature. */
export interface RtcCallbackVector {
  readonly fields: RtcCallbackSignedFields;
  readonly secret: string;
  readonly signature: string;
}

/**
 * The three known-answer vectors of the callback signature, byte for byte as given in the
 * workspace's reference on inbound RTC traffic (computed by an independent implementation of
 * Volcengine docs 6348/293101 "回调签名验证"; the docs' own example uses placeholders).
 * Vector 3 mixes a character above U+FFFF (the secret's emoji) with one in U+E000–U+FFFF (the
 * EventId's full-width "！"): a sort by UTF-16 code units gives `59aba1eb…`, which is wrong.
 */
export const RTC_CALLBACK_VECTORS: readonly RtcCallbackVector[] = [
  {
    fields: {
      EventType: 'UserJoinRoom',
      EventData: '{"RoomId":"room1","UserId":"alice","Timestamp":1733500000000}',
      EventTime: '2026-12-07T00:00:00Z',
      EventId: 'c1d5e7f0a9b84c2e9d3f',
      AppId: '5f0c3a1b2d4e6f708192a3b4',
      Version: '2020-12-01',
      Nonce: '4821',
    },
    secret: 'cb-secret-1',
    signature: 'af2def5c53ea7f51244fcbdf27a40847acedc418c7c2e305e9b3c251d67a00ee',
  },
  {
    fields: {
      EventType: 'RoomDestroy',
      EventData: '{"RoomId":"直播间-7","Reason":"空闲"}',
      EventTime: '2026-12-07T08:30:15+08:00',
      EventId: 'evt_000000000002',
      AppId: '5f0c3a1b2d4e6f708192a3b4',
      Version: '2020-12-01',
      Nonce: '0007',
    },
    secret: '密钥-rotated',
    signature: 'da87cebe88fa910380e092f1e79dec04f0375b01bf618b03e5322eb8d20ffc43',
  },
  {
    fields: {
      EventType: 'UserLeaveRoom',
      EventData: '{"RoomId":"r2","UserId":"bob"}',
      EventTime: '2026-12-07T00:00:01Z',
      EventId: '！evt-3',
      AppId: '5f0c3a1b2d4e6f708192a3b4',
      Version: '2020-12-01',
      Nonce: '9130',
    },
    secret: '😀key',
    signature: '3f0427187dd00f36a7aef1debdf94d1016b14fea1d4b1a07cdff86e43153d37b',
  },
];
