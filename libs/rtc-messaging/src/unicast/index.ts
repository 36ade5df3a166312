export { RtcSendResult, SendOptions, SendUnicastDto, SendUnicastInput } from './send-unicast.dto';
export { UnicastService } from './unicast.service';
