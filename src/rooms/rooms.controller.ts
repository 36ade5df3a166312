import { Body, Controller, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RoomMessagingService } from 'nestjs-volcengine-rtc';
import { SenderPolicyPipe } from '../auth/sender-policy.pipe';
import { API_KEY_SECURITY } from '../docs/api-docs.constants';
import {
  ApiErrorResponses,
  RECIPIENT_LIST_ERRORS,
  SINGLE_MESSAGE_ERRORS,
} from '../docs/error-responses';
import { ClientDisconnectSignal } from '../http/client-disconnect-signal.decorator';
import { SendResultResponse } from '../messages/message.responses';
import { RecipientListPipe } from '../validation/recipient-list.pipe';
import { RtcValidationPipe } from '../validation/rtc-validation.pipe';
import {
  RoomIdParams,
  SendRoomBatchRequest,
  SendRoomBroadcastRequest,
  SendRoomUnicastRequest,
} from './room.requests';
import { RoomBatchResponse, toRoomBatchResponse } from './room.responses';

/**
 * Messages inside an RTC room. The room id (a route parameter) and the body are validated by the
 * same pipe, each against its library DTO. Clients that use the RTS SDK (login without joining a
 * room) receive none of these: use `/v1/messages/*` for them.
 */
@ApiTags('rooms')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/rooms/:roomId/messages')
export class RoomsController {
  constructor(private readonly rooms: RoomMessagingService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Broadcast one message to everyone in a room (SendBroadcast)',
  })
  @ApiOkResponse({ type: SendResultResponse, description: 'The upstream accepted the message.' })
  @ApiErrorResponses(SINGLE_MESSAGE_ERRORS)
  broadcast(
    @Param(RtcValidationPipe) { roomId }: RoomIdParams,
    @Body(RtcValidationPipe, SenderPolicyPipe) body: SendRoomBroadcastRequest,
  ): Promise<SendResultResponse> {
    const { message, binary, from, appId } = body;
    return this.rooms.broadcast(roomId, message, { binary, from, appId });
  }

  @Post('unicast')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send one message to one user in a room (SendRoomUnicast)',
  })
  @ApiOkResponse({ type: SendResultResponse, description: 'The upstream accepted the message.' })
  @ApiErrorResponses(SINGLE_MESSAGE_ERRORS)
  sendToUser(
    @Param(RtcValidationPipe) { roomId }: RoomIdParams,
    @Body(RtcValidationPipe, SenderPolicyPipe) body: SendRoomUnicastRequest,
  ): Promise<SendResultResponse> {
    const { to, message, binary, from, appId } = body;
    return this.rooms.sendToUser(roomId, to, message, { binary, from, appId });
  }

  @Post('batch')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send one message to a list of users in a room (BatchSendRoomUnicast)',
    description:
      'Sends the message (at most 20 KB) in calls of at most 600 recipients, one after another in list order, and answers with what became of each call. A failed call does not stop the ones after it. If the client goes away, the calls not yet made are not made.',
  })
  @ApiOkResponse({
    type: RoomBatchResponse,
    description:
      'Every call was made (or the run was cancelled); each chunk says what became of its recipients.',
  })
  @ApiErrorResponses(RECIPIENT_LIST_ERRORS)
  async sendToUsers(
    @Param(RtcValidationPipe) { roomId }: RoomIdParams,
    @Body(RecipientListPipe, SenderPolicyPipe) body: SendRoomBatchRequest,
    @ClientDisconnectSignal() signal: AbortSignal,
  ): Promise<RoomBatchResponse> {
    const { to, message, binary, from, appId } = body;
    const result = await this.rooms.sendToUsers(roomId, to, message, {
      binary,
      from,
      appId,
      signal,
    });
    return toRoomBatchResponse(result);
  }
}
