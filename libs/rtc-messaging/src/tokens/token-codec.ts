import { createHmac } from 'node:crypto';
import {
  RTC_TOKEN_APP_ID_LENGTH,
  RTC_TOKEN_APP_ID_PATTERN,
  RTC_TOKEN_MAX_LENGTH,
  RTC_TOKEN_VERSION,
  RtcTokenContent,
  RtcTokenFormatError,
  RtcTokenPrivilegeGrant,
} from './token-format';

/*
 * The "001" wire format (rtc-access-tokens notes §4):
 *   token   = "001" + appId (24 chars) + base64(content)     standard alphabet, "=" padding
 *   content = bytes(msg) + bytes(signature)                   each a uint16 length + the bytes
 *   msg     = u32 nonce, u32 issuedAt, u32 expiresAt, string roomId, string userId,
 *             u16 count, then per privilege (ascending): u16 code, u32 expiresAt
 *   signature = HMAC-SHA256(AppKey as UTF-8, msg), 32 bytes
 * Integers are little-endian; a string is a uint16 byte length and its UTF-8 bytes.
 */

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffff_ffff;
const SIGNATURE_BYTES = 32;

const isUint = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;

/** UTF-8 of `value`, refusing what UTF-8 cannot carry unchanged (a lone surrogate). */
function utf8Of(field: string, value: unknown): Buffer {
  if (typeof value !== 'string') throw new RtcTokenFormatError(`${field} must be a string`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.toString('utf8') !== value) {
    throw new RtcTokenFormatError(`${field} must be well-formed Unicode (no lone surrogates)`);
  }
  if (bytes.length > UINT16_MAX) {
    throw new RtcTokenFormatError(`${field} must be at most ${UINT16_MAX} bytes in UTF-8`);
  }
  return bytes;
}

function checkUint32(field: string, value: unknown): number {
  if (!isUint(value, UINT32_MAX)) {
    throw new RtcTokenFormatError(`${field} must be an integer from 0 to ${UINT32_MAX}`);
  }
  return value;
}

/** Whether `appId` can be written into a token as the format's fixed-length prefix. */
export const isTokenAppId = (appId: unknown): appId is string =>
  typeof appId === 'string' && RTC_TOKEN_APP_ID_PATTERN.test(appId);

/** The grants in ascending order of code, refusing a code given twice. */
function sortedGrants(privileges: readonly RtcTokenPrivilegeGrant[]): RtcTokenPrivilegeGrant[] {
  // Checked on an `unknown` copy: narrowing the typed one would make it `any[]`.
  const given: unknown = privileges;
  if (!Array.isArray(given)) throw new RtcTokenFormatError('privileges must be an array');
  const sorted = [...privileges].sort((a, b) => a.privilege - b.privilege);
  sorted.forEach(({ privilege, expiresAt }, index) => {
    if (!isUint(privilege, UINT16_MAX)) {
      throw new RtcTokenFormatError(`a privilege code must be an integer from 0 to ${UINT16_MAX}`);
    }
    checkUint32(`the expiresAt of privilege ${privilege}`, expiresAt);
    if (index > 0 && sorted[index - 1].privilege === privilege) {
      throw new RtcTokenFormatError(`privilege ${privilege} is given more than once`);
    }
  });
  return sorted;
}

/**
 * The signed part of a token (`msg`), exactly as the official generator packs it.
 * @throws RtcTokenFormatError naming the first field the format cannot carry
 */
export function packTokenMessage(content: RtcTokenContent): Buffer {
  const nonce = checkUint32('nonce', content.nonce);
  const issuedAt = checkUint32('issuedAt', content.issuedAt);
  const expiresAt = checkUint32('expiresAt', content.expiresAt);
  const roomId = utf8Of('roomId', content.roomId);
  const userId = utf8Of('userId', content.userId);
  const grants = sortedGrants(content.privileges);
  if (grants.length > UINT16_MAX) {
    throw new RtcTokenFormatError(`a token carries at most ${UINT16_MAX} privileges`);
  }

  const message = Buffer.alloc(12 + 2 + roomId.length + 2 + userId.length + 2 + 6 * grants.length);
  let at = message.writeUInt32LE(nonce, 0);
  at = message.writeUInt32LE(issuedAt, at);
  at = message.writeUInt32LE(expiresAt, at);
  at = message.writeUInt16LE(roomId.length, at);
  at += roomId.copy(message, at);
  at = message.writeUInt16LE(userId.length, at);
  at += userId.copy(message, at);
  at = message.writeUInt16LE(grants.length, at);
  for (const { privilege, expiresAt: until } of grants) {
    at = message.writeUInt16LE(privilege, at);
    at = message.writeUInt32LE(until, at);
  }
  if (message.length > UINT16_MAX) {
    throw new RtcTokenFormatError(`the signed part must be at most ${UINT16_MAX} bytes`);
  }
  return message;
}

/** HMAC-SHA256 of `message` keyed by the AppKey's UTF-8 bytes. */
export function signTokenMessage(message: Buffer, appKey: string): Buffer {
  return createHmac('sha256', Buffer.from(appKey, 'utf8')).update(message).digest();
}

/** The token text for a packed message and its signature. */
export function assembleToken(appId: string, message: Buffer, signature: Buffer): string {
  if (!isTokenAppId(appId)) {
    throw new RtcTokenFormatError(
      `appId must be ${RTC_TOKEN_APP_ID_LENGTH} printable ASCII characters`,
    );
  }
  const content = Buffer.alloc(2 + message.length + 2 + signature.length);
  let at = content.writeUInt16LE(message.length, 0);
  at += message.copy(content, at);
  at = content.writeUInt16LE(signature.length, at);
  signature.copy(content, at);
  return `${RTC_TOKEN_VERSION}${appId}${content.toString('base64')}`;
}

/**
 * Writes a "001" token signed with `appKey` (any non-empty string; used as UTF-8). Privileges
 * are written in ascending order of code, whatever order they are given in.
 * @throws RtcTokenFormatError naming the first field the format cannot carry
 *
 * @example
 * serializeRtcToken(
 *   { appId, roomId: '', userId: 'user_42', nonce: 1, issuedAt, expiresAt, privileges: [] },
 *   appKey,
 * ); // '001661e000000000000000543cfGQ…'
 */
export function serializeRtcToken(content: RtcTokenContent, appKey: string): string {
  if (typeof appKey !== 'string' || appKey.length === 0) {
    throw new RtcTokenFormatError('appKey must be a non-empty string');
  }
  if (!isTokenAppId(content.appId)) {
    throw new RtcTokenFormatError(
      `appId must be ${RTC_TOKEN_APP_ID_LENGTH} printable ASCII characters`,
    );
  }
  const message = packTokenMessage(content);
  return assembleToken(content.appId, message, signTokenMessage(message, appKey));
}

/** A token taken apart: its fields, and the bytes its signature covers. */
export interface DecodedRtcToken {
  readonly content: RtcTokenContent;
  /** The signed part, as it is in the token. */
  readonly message: Buffer;
  readonly signature: Buffer;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the format's fields in order, refusing to read past the end. */
class FieldReader {
  private at = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly part: string,
  ) {}

  private need(field: string, count: number): void {
    if (this.at + count > this.bytes.length) {
      throw new RtcTokenFormatError(`token is truncated: ${this.part} ends inside ${field}`);
    }
  }

  uint16(field: string): number {
    this.need(field, 2);
    const value = this.bytes.readUInt16LE(this.at);
    this.at += 2;
    return value;
  }

  uint32(field: string): number {
    this.need(field, 4);
    const value = this.bytes.readUInt32LE(this.at);
    this.at += 4;
    return value;
  }

  bytesField(field: string): Buffer {
    const length = this.uint16(`${field}'s length`);
    this.need(field, length);
    const value = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  string(field: string): string {
    try {
      return UTF8.decode(this.bytesField(field));
    } catch (error) {
      if (error instanceof RtcTokenFormatError) throw error;
      throw new RtcTokenFormatError(`token's ${field} is not valid UTF-8`);
    }
  }

  end(): void {
    if (this.at !== this.bytes.length) {
      throw new RtcTokenFormatError(
        `token has ${this.bytes.length - this.at} unexpected bytes after ${this.part}`,
      );
    }
  }
}

function readMessage(message: Buffer): Omit<RtcTokenContent, 'appId'> {
  const reader = new FieldReader(message, 'the signed part');
  const nonce = reader.uint32('nonce');
  const issuedAt = reader.uint32('issuedAt');
  const expiresAt = reader.uint32('expiresAt');
  const roomId = reader.string('roomId');
  const userId = reader.string('userId');
  const count = reader.uint16('the privilege count');
  const privileges: RtcTokenPrivilegeGrant[] = [];
  for (let i = 0; i < count; i++) {
    const privilege = reader.uint16('a privilege code');
    const until = reader.uint32(`the expiresAt of privilege ${privilege}`);
    // The generator writes them in ascending order; anything else was not made by one.
    const previous = privileges.at(-1);
    if (previous !== undefined && previous.privilege >= privilege) {
      throw new RtcTokenFormatError('token privileges are not in strictly ascending order');
    }
    privileges.push({ privilege, expiresAt: until });
  }
  reader.end();
  return { nonce, issuedAt, expiresAt, roomId, userId, privileges };
}

/**
 * Takes a token apart without checking its signature. Strict: anything the official generator
 * could not have written (longer than `RTC_TOKEN_MAX_LENGTH`, another version, non-canonical
 * base64, a signature that is not 32 bytes, bytes left over, unordered privileges) is refused.
 * @throws RtcTokenFormatError saying what is wrong with the token (never quoting the token)
 */
export function decodeRtcToken(token: unknown): DecodedRtcToken {
  if (typeof token !== 'string') throw new RtcTokenFormatError('token must be a string');
  // Before anything reads the text: decoding a huge string costs time in proportion to it.
  if (token.length > RTC_TOKEN_MAX_LENGTH) {
    throw new RtcTokenFormatError(
      `token must be at most ${RTC_TOKEN_MAX_LENGTH} characters (the longest the format can write); it is ${token.length}`,
    );
  }
  if (!token.startsWith(RTC_TOKEN_VERSION)) {
    throw new RtcTokenFormatError(`token must start with version ${RTC_TOKEN_VERSION}`);
  }
  const appId = token.slice(
    RTC_TOKEN_VERSION.length,
    RTC_TOKEN_VERSION.length + RTC_TOKEN_APP_ID_LENGTH,
  );
  if (!isTokenAppId(appId)) {
    throw new RtcTokenFormatError(
      `token's appId must be ${RTC_TOKEN_APP_ID_LENGTH} printable ASCII characters`,
    );
  }
  const encoded = token.slice(RTC_TOKEN_VERSION.length + RTC_TOKEN_APP_ID_LENGTH);
  const content = Buffer.from(encoded, 'base64');
  // Node's decoder skips what it cannot read; only a string that survives a round trip is base64.
  if (encoded.length === 0 || content.toString('base64') !== encoded) {
    throw new RtcTokenFormatError(
      "token's content is not canonical base64 (A-Z a-z 0-9 + /, = padding), or is truncated",
    );
  }
  const reader = new FieldReader(content, 'the content');
  const message = reader.bytesField('the signed part');
  const signature = reader.bytesField('the signature');
  reader.end();
  if (signature.length !== SIGNATURE_BYTES) {
    throw new RtcTokenFormatError(
      `token's signature must be ${SIGNATURE_BYTES} bytes, not ${signature.length}`,
    );
  }
  return { content: { appId, ...readMessage(message) }, message, signature };
}

/**
 * A token's fields, without checking its signature (see `verifyRtcToken` for that).
 * @throws RtcTokenFormatError saying what is wrong with the token
 */
export function parseRtcToken(token: string): RtcTokenContent {
  return decodeRtcToken(token).content;
}
