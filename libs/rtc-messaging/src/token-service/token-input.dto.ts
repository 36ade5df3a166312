import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { RTC_TOKEN_APP_ID_LENGTH, RTC_TOKEN_APP_ID_PATTERN } from '../tokens';
import { IsRtcId } from '../validation';
import { MAX_TOKEN_TTL_SECONDS, TOKEN_TTL_RULE } from './token-defaults';

/** The AppId rule of tokens, as the end of a sentence about a field. */
export const TOKEN_APP_ID_RULE = `must be ${RTC_TOKEN_APP_ID_LENGTH} printable ASCII characters (a token carries exactly ${RTC_TOKEN_APP_ID_LENGTH})`;

/**
 * What a login token is made from: `RtcTokenService.createLoginToken(userId, options)` validates
 * `{ userId, ...options }` with it, and an HTTP edge can validate a body with it too.
 */
export class LoginTokenDto {
  /** The user id the client passes to `login`. */
  @IsRtcId()
  userId!: string;

  /** How long the token is valid, 1 to 604,800 s; defaults to the module's `tokenTtlSeconds`. */
  @IsOptional()
  @IsInt({ message: `expiresInSeconds must be an integer ${TOKEN_TTL_RULE}` })
  @Min(1, { message: `expiresInSeconds must be ${TOKEN_TTL_RULE}` })
  @Max(MAX_TOKEN_TTL_SECONDS, { message: `expiresInSeconds must be ${TOKEN_TTL_RULE}` })
  expiresInSeconds?: number;

  /** The RTC AppId the client's engine uses; defaults to the module's `appId`. */
  @IsOptional()
  @IsString()
  @Matches(RTC_TOKEN_APP_ID_PATTERN, { message: `appId ${TOKEN_APP_ID_RULE}` })
  appId?: string;
}

/** What a room token (for `joinRoom`) is made from; see {@link LoginTokenDto}. */
export class RoomTokenDto extends LoginTokenDto {
  /** The room id the client passes to `joinRoom`. */
  @IsRtcId()
  roomId!: string;

  /** Whether the user may publish (audio, video and data). Default `true`. */
  @IsOptional()
  @IsBoolean()
  publish?: boolean;

  /** Whether the user may subscribe to others' streams. Default `true`. */
  @IsOptional()
  @IsBoolean()
  subscribe?: boolean;
}

/** What `RtcTokenService.verifyToken` may be told to expect; unknown names are refused, not ignored. */
export class TokenExpectationsDto {
  @IsOptional()
  @IsString()
  userId?: string;

  /** `''` expects a login token. */
  @IsOptional()
  @IsString()
  roomId?: string;

  @IsOptional()
  @IsString()
  appId?: string;
}
