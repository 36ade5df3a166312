/*
 * The facts of Volcengine RTC access tokens, version "001", in one place.
 *
 * Source: Volcengine RTC docs 6348/70121 "使用 Token 完成鉴权" and 6348/1157360 "Token 常见问题", and
 * the official BSD-3-Clause sample generator `Server/token.js` of `volcengine/rtc-aigc-demo`, as
 * gathered in the project's rtc-access-tokens notes §2-§4.
 */

/** The version prefix of every token this module reads or writes. */
export const RTC_TOKEN_VERSION = '001';

/** An AppId is copied into the token as is and parsers cut it at this fixed length. */
export const RTC_TOKEN_APP_ID_LENGTH = 24;

/**
 * An AppId a token can carry: 24 printable ASCII characters. Other languages' parsers cut the
 * AppId by bytes and JavaScript by UTF-16 units; with ASCII both cut it in the same place.
 */
export const RTC_TOKEN_APP_ID_PATTERN = new RegExp(`^[\\x21-\\x7e]{${RTC_TOKEN_APP_ID_LENGTH}}$`);

/**
 * The longest text a "001" token can be: the version, the AppId, and the base64 of its content,
 * which is a uint16-prefixed signed part (at most 65,535 bytes: its length is a uint16) and a
 * uint16-prefixed 32-byte signature, so 2 + 65,535 + 2 + 32 = 65,571 bytes, 87,428 base64
 * characters. Anything longer cannot be a token, so readers refuse it before decoding or hashing
 * it: a caller's 400 MB string must not cost the server a second of CPU.
 */
export const RTC_TOKEN_MAX_LENGTH =
  RTC_TOKEN_VERSION.length + RTC_TOKEN_APP_ID_LENGTH + 4 * Math.ceil((2 + 0xffff + 2 + 32) / 3);

/** The service refuses a token this long after it was issued, whatever its `expiresAt` says (7 days). */
export const RTC_TOKEN_MAX_LIFETIME_SECONDS = 604_800;

/**
 * Privilege codes of the format. The three single-kind publish privileges are not meant to be
 * granted on their own: granting `publishStream` grants them too, with the same expiry.
 */
export const RTC_TOKEN_PRIVILEGES = Object.freeze({
  publishStream: 0,
  publishAudioStream: 1,
  publishVideoStream: 2,
  publishDataStream: 3,
  subscribeStream: 4,
} as const);

/** One privilege a token grants, until `expiresAt` (Unix seconds; `0` means no expiry of its own). */
export interface RtcTokenPrivilegeGrant {
  /** The privilege's code, one of {@link RTC_TOKEN_PRIVILEGES} (the format carries any uint16). */
  readonly privilege: number;
  readonly expiresAt: number;
}

/** What a token says, field by field. Times are Unix seconds. */
export interface RtcTokenContent {
  /** The RTC AppId: 24 printable ASCII characters. */
  readonly appId: string;
  /** The room id; empty in a login token. */
  readonly roomId: string;
  readonly userId: string;
  /** A uint32 that makes two tokens with the same fields differ. */
  readonly nonce: number;
  readonly issuedAt: number;
  /** When the token expires; `0` means none set (the service's 7-day cap still applies). */
  readonly expiresAt: number;
  /** The privileges in ascending order of code, each at most once. */
  readonly privileges: readonly RtcTokenPrivilegeGrant[];
}

/** A token could not be read, or its fields cannot be written: says which part and why. */
export class RtcTokenFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtcTokenFormatError';
  }
}
