export {
  CallOptions,
  RtcSendResult,
  SendOptions,
  SendUnicastDto,
  SendUnicastInput,
} from './send-unicast.dto';
export { UnicastService } from './unicast.service';
export { SendFanOutDto } from './fan-out.dto';
export type {
  FanOutFailureSample,
  FanOutProgress,
  FanOutResult,
  FanOutSummary,
  SendToManyOptions,
} from './fan-out.types';
export type { SendStatus } from './send-status';
