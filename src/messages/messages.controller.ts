import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { UnicastService } from 'nestjs-volcengine-rtc';
import { SenderPolicyPipe } from '../auth/sender-policy.pipe';
import { API_KEY_SECURITY } from '../docs/api-docs.constants';
import {
  ApiErrorResponses,
  RECIPIENT_LIST_ERRORS,
  SINGLE_MESSAGE_ERRORS,
} from '../docs/error-responses';
import { ClientDisconnectSignal } from '../http/client-disconnect-signal.decorator';
import { RecipientListPipe } from '../validation/recipient-list.pipe';
import { RtcValidationPipe } from '../validation/rtc-validation.pipe';
import { SendFanOutRequest, SendUnicastRequest } from './message.requests';
import { FanOutSummaryResponse, SendResultResponse, toFanOutResponse } from './message.responses';

/**
 * Out-of-room messages to users who called `login`. Every answer is 200, not 201: the upstream
 * accepted something, and nothing was created here that a client could fetch.
 */
@ApiTags('messages')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/messages')
export class MessagesController {
  constructor(private readonly unicast: UnicastService) {}

  @Post('unicast')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send one message to one user (SendUnicast)',
    description:
      'Sends one out-of-room message, text or binary, to one user who called `login` in the RTC SDK.',
  })
  @ApiOkResponse({ type: SendResultResponse, description: 'The upstream accepted the message.' })
  @ApiErrorResponses(SINGLE_MESSAGE_ERRORS)
  sendUnicast(
    @Body(RtcValidationPipe, SenderPolicyPipe) body: SendUnicastRequest,
  ): Promise<SendResultResponse> {
    return this.unicast.send(body);
  }

  @Post('fan-out')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send one message to each of a list of users (one SendUnicast each)',
    description:
      'Sends the message to each recipient under the shared call budget (about 480 per second at the default 500/s), and answers once every recipient has been attempted, with the counts and the reasons of failures. A malformed id or a failed call affects that recipient only. If the client goes away, the recipients not yet attempted are not sent to.',
  })
  @ApiOkResponse({
    type: FanOutSummaryResponse,
    description:
      'Every recipient was attempted (or the run was cancelled); `sent`, `refused` and `unknown` say what became of them.',
  })
  @ApiErrorResponses(RECIPIENT_LIST_ERRORS)
  async sendToMany(
    @Body(RecipientListPipe, SenderPolicyPipe) body: SendFanOutRequest,
    @ClientDisconnectSignal() signal: AbortSignal,
  ): Promise<FanOutSummaryResponse> {
    const { to, message, binary, from, appId } = body;
    const summary = await this.unicast.sendToMany(to, message, { binary, from, appId, signal });
    return toFanOutResponse(summary);
  }
}
