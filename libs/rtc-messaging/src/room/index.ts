export {
  RoomIdParamsDto,
  SendRoomBatchDto,
  SendRoomBroadcastDto,
  SendRoomUnicastDto,
} from './room-message.dto';
export { RoomMessagingService } from './room-messaging.service';
export type { RoomBatchChunk, RoomBatchResult, RoomSendOptions } from './room-messaging.types';
export { expandIdListViolations, IsRtcIdList } from './rtc-id-list.validator';
