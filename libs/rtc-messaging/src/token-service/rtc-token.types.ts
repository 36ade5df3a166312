import type { RtcTokenContent } from '../tokens';

/** Options of `RtcTokenService.createLoginToken`. */
export interface LoginTokenOptions {
  /** How long the token is valid, 1 to 604,800 s (7 days). Default: the module's `tokenTtlSeconds`. */
  readonly expiresInSeconds?: number;
  /** The RTC AppId (24 characters) the client's engine uses. Default: the module's `appId`. */
  readonly appId?: string;
}

/** Options of `RtcTokenService.createRoomToken`. */
export interface RoomTokenOptions extends LoginTokenOptions {
  /** Whether the user may publish audio, video and data. Default `true`. */
  readonly publish?: boolean;
  /** Whether the user may subscribe to others' streams. Default `true`. */
  readonly subscribe?: boolean;
}

/** A token, and what it was made for. Times are Unix seconds. */
export interface RtcIssuedToken {
  /** The string the client passes to `login` or `joinRoom` (and to `updateToken`). */
  readonly token: string;
  readonly appId: string;
  /** `''` for a login token. */
  readonly roomId: string;
  readonly userId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** What `verifyToken` may check besides the signature and expiry; each is compared exactly. */
export interface RtcTokenExpectations {
  readonly userId?: string;
  /** `''` expects a login token. */
  readonly roomId?: string;
  /** Default: the module's `appId` (the AppKeys are that app's). */
  readonly appId?: string;
}

/** Why `verifyToken` refused a token. */
export type RtcTokenInvalidReason =
  /** It could not be read as a "001" token (`problem` says where). */
  | 'malformed'
  /** It names another AppId than expected. */
  | 'appId'
  /** Its signature matches neither AppKey. */
  | 'signature'
  /** Its `expiresAt` has passed, or it is more than 7 days old. */
  | 'expired'
  /** It is for another user than expected. */
  | 'userId'
  /** It is for another room than expected. */
  | 'roomId';

/**
 * What `verifyToken` found: `valid`, and, whenever the token could be read, its fields (times in
 * Unix seconds); `reason` and `problem` (a sentence) when it is not valid.
 */
export type RtcTokenVerification =
  | ({ readonly valid: true } & RtcTokenContent)
  | { readonly valid: false; readonly reason: 'malformed'; readonly problem: string }
  | ({
      readonly valid: false;
      readonly reason: Exclude<RtcTokenInvalidReason, 'malformed'>;
      readonly problem: string;
    } & RtcTokenContent);
