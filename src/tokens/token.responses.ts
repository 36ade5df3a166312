import { ApiProperty } from '@nestjs/swagger';
import type { RtcIssuedToken } from 'nestjs-volcengine-rtc';

/** A token and what it was made for; `implements` keeps it in step with the library's type. */
export class IssuedTokenResponse implements RtcIssuedToken {
  @ApiProperty({
    description:
      'The token, for `login` or `joinRoom` (and for `updateToken` when the client is told it will expire).',
    example:
      '001661e000000000000000543cfGQAVzVsHgNosaQAsLmkAAAcAdXNlcl80MgAAIACEqjSK8VTSWpxwcB43RZyKDEFiobvfbN5WPCkOEh0DTQ==',
  })
  token!: string;

  @ApiProperty({
    description: 'The RTC AppId (`RTC_APP_ID`).',
    example: '661e000000000000000543cf',
  })
  appId!: string;

  @ApiProperty({ description: 'The room id; empty for a login token.', example: '' })
  roomId!: string;

  @ApiProperty({ example: 'user_42' })
  userId!: string;

  @ApiProperty({ description: 'When it was made, in Unix seconds.', example: 1764547200 })
  issuedAt!: number;

  @ApiProperty({ description: 'When it expires, in Unix seconds.', example: 1764633600 })
  expiresAt!: number;
}

/** The token object as answered: the library's, field by field. */
export const toIssuedTokenResponse = ({
  token,
  appId,
  roomId,
  userId,
  issuedAt,
  expiresAt,
}: RtcIssuedToken): IssuedTokenResponse => ({ token, appId, roomId, userId, issuedAt, expiresAt });
