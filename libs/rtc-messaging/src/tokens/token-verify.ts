import { RtcAppKeys } from './app-keys';
import { decodeRtcToken } from './token-codec';
import {
  RTC_TOKEN_MAX_LIFETIME_SECONDS,
  RtcTokenContent,
  RtcTokenFormatError,
} from './token-format';

/** Why a token was refused: unreadable, for another app, a bad signature, or expired. */
export type RtcTokenRefusal = 'malformed' | 'appId' | 'signature' | 'expired';

/** What `verifyRtcToken` found. `content` is there whenever the token could be read. */
export type RtcTokenVerdict =
  | { readonly valid: true; readonly content: RtcTokenContent }
  | { readonly valid: false; readonly reason: 'malformed'; readonly problem: string }
  | {
      readonly valid: false;
      readonly reason: Exclude<RtcTokenRefusal, 'malformed'>;
      readonly problem: string;
      readonly content: RtcTokenContent;
    };

/** The largest time a token can carry (its times are uint32 Unix seconds). */
const MAX_TOKEN_SECONDS = 0xffff_ffff;

/** What a token is checked against. */
export interface RtcTokenCheck {
  /** The current time, in Unix seconds: a finite number from 0 to 4,294,967,295. */
  readonly now: number;
  /** The AppId the token must name; the AppKeys belong to this app. Unset: any. */
  readonly appId?: string;
}

/**
 * The first second at which `content` is no longer valid: its `expiresAt` (unless `0`) or, if
 * sooner, 7 days after it was issued, the cap the service applies whatever `expiresAt` says.
 */
export function tokenValidUntil(content: Pick<RtcTokenContent, 'issuedAt' | 'expiresAt'>): number {
  const cap = content.issuedAt + RTC_TOKEN_MAX_LIFETIME_SECONDS;
  return content.expiresAt === 0 ? cap : Math.min(content.expiresAt, cap);
}

/**
 * Checks a token as the RTC service would: it must be readable, name the expected AppId, carry an
 * HMAC of its signed part under one of `keys` (compared in constant time), and not be expired.
 * Never throws for a bad token: the verdict says why it was refused.
 *
 * @param keys an `RtcAppKeys`, or the AppKey (or primary and secondary AppKeys) as strings
 * @throws RangeError naming `now` when `check.now` is missing, not finite or out of range: a
 *   broken clock must not make every token look valid (or expired)
 *
 * @example
 * const verdict = verifyRtcToken(token, appKey, { appId, now: Math.floor(Date.now() / 1000) });
 * if (!verdict.valid) console.log(verdict.reason, verdict.problem);
 */
export function verifyRtcToken(
  token: string,
  keys: RtcAppKeys | string | readonly [string, string?],
  check: RtcTokenCheck,
): RtcTokenVerdict {
  checkNow(check?.now);
  const appKeys =
    keys instanceof RtcAppKeys
      ? keys
      : typeof keys === 'string'
        ? new RtcAppKeys(keys)
        : new RtcAppKeys(keys[0], keys[1]);
  let decoded: ReturnType<typeof decodeRtcToken>;
  try {
    decoded = decodeRtcToken(token);
  } catch (error) {
    if (!(error instanceof RtcTokenFormatError)) throw error;
    return { valid: false, reason: 'malformed', problem: error.message };
  }
  const { content, message, signature } = decoded;
  if (check.appId !== undefined && content.appId !== check.appId) {
    return {
      valid: false,
      reason: 'appId',
      problem: `token is for appId ${content.appId}, not ${check.appId}`,
      content,
    };
  }
  if (!appKeys.signed(message, signature)) {
    return {
      valid: false,
      reason: 'signature',
      problem: 'token signature does not match the AppKey (or the secondary AppKey)',
      content,
    };
  }
  const validUntil = tokenValidUntil(content);
  if (check.now >= validUntil) {
    return {
      valid: false,
      reason: 'expired',
      problem: `token expired at ${validUntil} (Unix seconds); it is now ${check.now}`,
      content,
    };
  }
  return { valid: true, content };
}

/**
 * Refuses a time no token can be compared with: `NaN` (a clock that failed, a missing `now`)
 * compares false with everything, so `now >= validUntil` would pass every token as unexpired.
 */
function checkNow(now: unknown): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new RangeError(
      `now must be a finite number of Unix seconds; it is ${now === undefined ? 'missing' : typeof now === 'number' ? String(now) : `a ${typeof now}`}`,
    );
  }
  if (now < 0 || now > MAX_TOKEN_SECONDS) {
    throw new RangeError(
      `now must be Unix seconds from 0 to ${MAX_TOKEN_SECONDS} (milliseconds are too large); it is ${now}`,
    );
  }
}
