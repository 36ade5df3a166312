import { randomBytes, randomInt } from 'node:crypto';
import { rtcCallbackSignature, RtcCallbackSignedFields } from '../../inbound';

/**
 * The body RTC POSTs to an event callback URL: eight strings, `EventData` a JSON document inside
 * a string. Field order as RTC's own examples show it. Source: Volcengine docs 6348/75124 and
 * 6348/293101.
 */
export interface RtcCallbackEventBody {
  EventType: string;
  EventData: string;
  EventTime: string;
  EventId: string;
  AppId: string;
  Version: string;
  Signature: string;
  Nonce: string;
}

/** The event to build: a type and its data; the rest defaults as RTC would fill it in. */
export interface RtcCallbackEventInput {
  /** `EventType`, e.g. `UserJoinRoom`. */
  readonly type: string;
  /**
   * The event's content: an object is sent as its JSON (`EventData` is a JSON document inside a
   * string); a string is sent as it is, so a test can send data that is not JSON. Default `{}`.
   */
  readonly data?: unknown;
  /** `AppId`. */
  readonly appId: string;
  /** `EventId`; default a fresh random id. */
  readonly eventId?: string;
  /** `EventTime`: a `Date` is sent as ISO-8601, a string as it is. Default now. */
  readonly eventTime?: Date | string;
  /** `Version`; default `2020-12-01`, the version RTC's docs show. */
  readonly version?: string;
  /** `Nonce`; default 4 random digits, as RTC sends. */
  readonly nonce?: string;
}

/** The event version RTC's callback docs show (Volcengine docs 6348/75124). */
export const RTC_CALLBACK_DEFAULT_VERSION = '2020-12-01';

/**
 * The body RTC would POST for `input`, signed with `secret` (the callback secret set in the
 * console) by the library's own signature function, so the body a test sends is exactly what
 * the receiving side verifies.
 *
 * @example
 * const event = buildRtcCallbackEvent(
 *   { type: 'UserJoinRoom', appId: APP_ID, data: { RoomId: 'r1', UserId: 'alice' } },
 *   'cb-secret',
 * );
 */
export function buildRtcCallbackEvent(
  input: RtcCallbackEventInput,
  secret: string,
): RtcCallbackEventBody {
  const unsigned: RtcCallbackSignedFields = {
    EventType: input.type,
    EventData: typeof input.data === 'string' ? input.data : JSON.stringify(input.data ?? {}),
    EventTime:
      typeof input.eventTime === 'string'
        ? input.eventTime
        : (input.eventTime ?? new Date()).toISOString(),
    EventId: input.eventId ?? randomBytes(10).toString('hex'),
    AppId: input.appId,
    Version: input.version ?? RTC_CALLBACK_DEFAULT_VERSION,
    Nonce: input.nonce ?? String(randomInt(10_000)).padStart(4, '0'),
  };
  const { Nonce, ...beforeSignature } = unsigned;
  return { ...beforeSignature, Signature: rtcCallbackSignature(unsigned, secret), Nonce };
}
