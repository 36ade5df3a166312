export { errorCodeOf, OTHER_ERROR_CODE } from './error-code';
export { FAILURE_LOG_WINDOW_MS, FailureLogSummary } from './failure-log-summary';
export { RepeatedLines } from './repeated-lines';
export { WindowedLog } from './windowed-log';
export {
  CallTelemetry,
  GroupSpan,
  MessagingTelemetry,
  startGroupSpan,
} from './messaging-telemetry';
export { loggerOptionProblem, resolveLogger, RtcLogger } from './rtc-logger';
export {
  RTC_ATTRIBUTES,
  RTC_INSTRUMENTATION_SCOPE,
  RTC_LOG_CONTEXT,
  RTC_METRICS,
  RTC_SPANS,
  RtcCallOutcome,
  SECONDS_BUCKETS,
} from './telemetry-names';
