import { ArrayNotEmpty, IsArray, IsString } from 'class-validator';
import { MAX_BATCH_MESSAGE_BYTES } from '../rtc-openapi.constants';
import { IsRtcId, IsRtcMessage, MessageContentDto, MessageOptionsDto } from '../validation';
import { IsRtcIdList } from './rtc-id-list.validator';

/**
 * The room of a room message, as a route parameter: `@Param() { roomId }: RoomIdParamsDto` with
 * a `ValidationPipe` refuses a malformed room id with the same violation as the service.
 *
 * @example
 * @Post(':roomId/messages')
 * broadcast(@Param() { roomId }: RoomIdParamsDto, @Body() body: SendRoomBroadcastDto) {
 *   return this.rooms.broadcast(roomId, body.message, body);
 * }
 */
export class RoomIdParamsDto {
  /** The RTC room id: 1 to 128 of `a-z A-Z 0-9 _ @ . -`. */
  @IsRtcId()
  roomId!: string;
}

/**
 * An HTTP body broadcasting to everyone in a room (`SendBroadcast`); the room id comes from the
 * route. `RoomMessagingService.broadcast` validates its arguments by the same rules.
 *
 * @example
 * // POST /v1/rooms/lobby/messages
 * { "message": "The match starts in 5 minutes" }
 */
export class SendRoomBroadcastDto extends MessageContentDto {}

/**
 * An HTTP body for one user in a room (`SendRoomUnicast`); the room id comes from the route.
 * `RoomMessagingService.sendToUser` validates its arguments by the same rules.
 *
 * @example
 * // POST /v1/rooms/lobby/messages/unicast
 * { "to": "user_42", "message": "You are next" }
 */
export class SendRoomUnicastDto extends SendRoomBroadcastDto {
  /** The recipient's user id in the room. */
  @IsRtcId()
  to!: string;
}

/**
 * An HTTP body for many users in a room (`BatchSendRoomUnicast`); the room id comes from the
 * route. The message is at most 20 KB (not 64 KB). The list has no maximum here: the service
 * sends it in calls of at most 600 ids, so cap its length at the edge.
 *
 * A malformed id anywhere in `to` refuses the whole body (nothing is sent). Through a
 * `ValidationPipe` that is one violation of `to` whose message names the entries
 * (`to[3], to[7] must be strings of …`); the service reports one violation per entry
 * (`to[3]`), and {@link expandIdListViolations} does the same for a pipe.
 *
 * @example
 * // POST /v1/rooms/lobby/messages/batch
 * { "to": ["user_1", "user_2"], "message": "Your team won" }
 */
export class SendRoomBatchDto extends MessageOptionsDto {
  /** The recipients' user ids in the room; at least one. */
  @IsArray()
  @ArrayNotEmpty()
  @IsRtcIdList()
  to!: string[];

  /** Text (at most 20 KB in UTF-8), or base64 when `binary` is true (at most 20 KB decoded). */
  @IsString()
  @IsRtcMessage(MAX_BATCH_MESSAGE_BYTES)
  message!: string;
}

/*
 * What the service validates: the body and the room together, so a malformed room id is named
 * `roomId` among the body's violations. Internal: callers pass `roomId` as an argument.
 */

/** `RoomMessagingService.broadcast`'s arguments. */
export class RoomBroadcastCall extends SendRoomBroadcastDto {
  @IsRtcId()
  roomId!: string;
}

/** `RoomMessagingService.sendToUser`'s arguments. */
export class RoomUnicastCall extends SendRoomUnicastDto {
  @IsRtcId()
  roomId!: string;
}

/** `RoomMessagingService.sendToUsers`'s arguments. */
export class RoomBatchCall extends SendRoomBatchDto {
  @IsRtcId()
  roomId!: string;
}
