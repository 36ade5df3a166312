import { ApiProperty } from '@nestjs/swagger';
import {
  MAX_BATCH_MESSAGE_BYTES,
  MAX_MESSAGE_BYTES,
  RoomIdParamsDto,
  SendRoomBatchDto,
  SendRoomBroadcastDto,
  SendRoomUnicastDto,
} from 'nestjs-volcengine-rtc';
import {
  documentMessageOptions,
  messageProperty,
  recipientListProperty,
  RTC_ID_ITEM,
  rtcIdProperty,
} from '../docs/api-properties';

/*
 * The route parameters and bodies of /v1/rooms/:roomId/messages*: the library's DTOs, which hold
 * every validation rule, with only OpenAPI metadata added (`declare` adds no field and no rule).
 */

/** `:roomId` of every room route. */
export class RoomIdParams extends RoomIdParamsDto {
  @ApiProperty(rtcIdProperty('RTC room id', 'match_17'))
  declare roomId: string;
}

/** `POST /v1/rooms/:roomId/messages`: one message to everyone in the room (`SendBroadcast`). */
export class SendRoomBroadcastRequest extends SendRoomBroadcastDto {
  @ApiProperty(messageProperty(MAX_MESSAGE_BYTES, 'Round 2 starts now'))
  declare message: string;
}

/** `POST /v1/rooms/:roomId/messages/unicast`: one message to one user in the room (`SendRoomUnicast`). */
export class SendRoomUnicastRequest extends SendRoomUnicastDto {
  @ApiProperty(rtcIdProperty('Recipient user id in the room', 'user_42'))
  declare to: string;

  @ApiProperty(messageProperty(MAX_MESSAGE_BYTES, 'You are up next'))
  declare message: string;
}

/**
 * `POST /v1/rooms/:roomId/messages/batch`: one message (at most 20 KB) to a list of users in the
 * room (`BatchSendRoomUnicast`, in calls of at most 600 ids).
 */
export class SendRoomBatchRequest extends SendRoomBatchDto {
  @ApiProperty(
    recipientListProperty(
      'Recipient user ids in the room; at least one, at most `FAN_OUT_MAX_RECIPIENTS`, sent in ' +
        'calls of at most 600 in list order. A malformed id anywhere refuses the whole request ' +
        '(400 naming it, e.g. `to[3]`) and nothing is sent.',
      RTC_ID_ITEM,
      ['user_1', 'user_2', 'user_3'],
    ),
  )
  declare to: string[];

  @ApiProperty(messageProperty(MAX_BATCH_MESSAGE_BYTES, 'Your team won the round'))
  declare message: string;
}

// binary, from and appId: documented once for every body.
documentMessageOptions(SendRoomBroadcastRequest, SendRoomUnicastRequest, SendRoomBatchRequest);
