import {
  Body,
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RtcTokenService } from 'nestjs-volcengine-rtc';
import { API_KEY_SECURITY } from '../docs/api-docs.constants';
import { ApiErrorResponses, ErrorBodyResponse } from '../docs/error-responses';
import { toErrorResponse } from '../errors/error-response';
import { RtcValidationPipe } from '../validation/rtc-validation.pipe';
import { APP_KEY_NOT_CONFIGURED, AppKeyConfiguredGuard } from './app-key-configured.guard';
import { CreateLoginTokenRequest, CreateRoomTokenRequest } from './token.requests';
import { IssuedTokenResponse, toIssuedTokenResponse } from './token.responses';

const BEHIND_USER_AUTH =
  'In a real service this endpoint sits behind the app’s own user authentication, and takes the user id from the signed-in user rather than the body: whoever holds a token can act as that user. Here the `x-api-key` alone guards it, like every endpoint of this demo.';

/** The 503 without `RTC_APP_KEY`, documented with the body the error filter sends for it. */
const NO_APP_KEY_RESPONSE = ApiServiceUnavailableResponse({
  type: ErrorBodyResponse,
  description: '`RTC_APP_KEY` is not set, so this app makes no tokens.',
  example: toErrorResponse(new ServiceUnavailableException(APP_KEY_NOT_CONFIGURED), 0, 'other')
    .body,
});

/**
 * Access tokens for the RTC client SDK, made with the app's AppKey: without a login token a user
 * receives no `/v1/messages/*` message, and without a room token no `/v1/rooms/*` one. Every
 * answer is 200: nothing is stored that a client could fetch again.
 */
@ApiTags('tokens')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/tokens')
// x-api-key is checked before (by the app's middleware): an unknown caller gets 401 whether or
// not tokens are configured.
@UseGuards(AppKeyConfiguredGuard)
export class TokensController {
  constructor(private readonly tokens: RtcTokenService) {}

  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Make a login token (for the SDK’s login)',
    description: `A token for \`login(token, userId)\`: the user then receives out-of-room messages (\`/v1/messages/*\`). Its room id is empty. ${BEHIND_USER_AUTH}`,
  })
  @ApiOkResponse({ type: IssuedTokenResponse, description: 'The token and what it is for.' })
  @ApiErrorResponses([400, 401], 'other')
  @NO_APP_KEY_RESPONSE
  async login(
    @Body(RtcValidationPipe) body: CreateLoginTokenRequest,
  ): Promise<IssuedTokenResponse> {
    const { userId, expiresInSeconds } = body;
    return toIssuedTokenResponse(await this.tokens.createLoginToken(userId, { expiresInSeconds }));
  }

  @Post('room')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Make a room token (for the SDK’s joinRoom)',
    description: `A token for \`joinRoom\` in one room, as one user (both must be what the client passes, or joining fails with -1000): the user then receives room messages (\`/v1/rooms/*\`). \`publish\` grants publishing audio, video and data; \`subscribe\` grants subscribing; both default to true. ${BEHIND_USER_AUTH}`,
  })
  @ApiOkResponse({ type: IssuedTokenResponse, description: 'The token and what it is for.' })
  @ApiErrorResponses([400, 401], 'other')
  @NO_APP_KEY_RESPONSE
  async room(@Body(RtcValidationPipe) body: CreateRoomTokenRequest): Promise<IssuedTokenResponse> {
    const { roomId, userId, publish, subscribe, expiresInSeconds } = body;
    return toIssuedTokenResponse(
      await this.tokens.createRoomToken(roomId, userId, { publish, subscribe, expiresInSeconds }),
    );
  }
}
