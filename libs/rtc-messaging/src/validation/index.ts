export { IsRtcId, RTC_ID_RULE, rtcIdRuleText } from './rtc-id.validator';
export {
  IsRtcMessage,
  messageBytes,
  MESSAGE_BASE64_RULE,
  MESSAGE_NOT_EMPTY_RULE,
  MESSAGE_SIZE_RULE,
  MESSAGE_WELL_FORMED_RULE,
} from './rtc-message.validator';
export {
  MAX_INPUT_DEPTH,
  nestsDeeperThan,
  RTC_VALIDATOR_OPTIONS,
  toFieldViolations,
  validateInput,
} from './validate-input';
export { MessageContentDto, MessageOptionsDto } from './message-content.dto';
