import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { LoginTokenDto, MAX_TOKEN_TTL_SECONDS, RoomTokenDto } from 'nestjs-volcengine-rtc';
import { rtcIdProperty } from '../docs/api-properties';

/*
 * The bodies of /v1/tokens/*: the library's DTOs, which hold every validation rule, without
 * `appId` (this app makes tokens for `RTC_APP_ID` only), with OpenAPI metadata added (`declare`
 * adds no field and no rule).
 */

const EXPIRES_IN_SECONDS = {
  type: Number,
  minimum: 1,
  maximum: MAX_TOKEN_TTL_SECONDS,
  description:
    'How long the token is valid, in seconds: 1 to 604,800 (7 days; the RTC service refuses an older token). Defaults to `RTC_TOKEN_TTL_SECONDS` (86,400 unless set). A JSON integer: `"3600"` is refused.',
  example: 3_600,
};

/** `POST /v1/tokens/login`: a token for `login(token, userId)`. */
export class CreateLoginTokenRequest extends OmitType(LoginTokenDto, ['appId'] as const) {
  @ApiProperty(rtcIdProperty('The user id the client passes to `login`', 'user_42'))
  declare userId: string;

  @ApiPropertyOptional(EXPIRES_IN_SECONDS)
  declare expiresInSeconds?: number;
}

/** `POST /v1/tokens/room`: a token for `joinRoom` in one room, as one user. */
export class CreateRoomTokenRequest extends OmitType(RoomTokenDto, ['appId'] as const) {
  @ApiProperty(rtcIdProperty('The room id the client passes to `joinRoom`', 'match_17'))
  declare roomId: string;

  @ApiProperty(rtcIdProperty('The user id the client passes to `joinRoom`', 'user_42'))
  declare userId: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: true,
    description: 'Whether the user may publish audio, video and data. A JSON boolean.',
    example: true,
  })
  declare publish?: boolean;

  @ApiPropertyOptional({
    type: Boolean,
    default: true,
    description: "Whether the user may subscribe to others' streams. A JSON boolean.",
    example: true,
  })
  declare subscribe?: boolean;

  @ApiPropertyOptional(EXPIRES_IN_SECONDS)
  declare expiresInSeconds?: number;
}
