/**
 * nestjs-volcengine-rtc: send Volcengine RTC server messages from NestJS.
 * The public API; subpaths `./testing` and `./health` hold the parts with optional peers.
 */
export { RtcMessagingModule } from './rtc-messaging.module';
export {
  RtcMessagingModuleAsyncOptions,
  RtcMessagingModuleForRootOptions,
  RTC_MESSAGING_MODULE_OPTIONS,
  RtcMessagingModuleExtras,
} from './rtc-messaging.module-definition';
export {
  DEFAULT_SHUTDOWN_GRACE_MS,
  ResolvedRtcMessagingOptions,
  resolveOptions,
  RtcMessagingModuleOptions,
} from './rtc-messaging.options';
// From the files, not the folder's index: its spans' file declares types of @opentelemetry/api,
// an optional peer that an app's type check must not need.
export {
  RTC_ATTRIBUTES,
  RTC_INSTRUMENTATION_SCOPE,
  RTC_LOG_CONTEXT,
  RTC_METRICS,
  RTC_INBOUND_TYPES,
  RTC_SPANS,
  RtcCallOutcome,
} from './telemetry/telemetry-names';
export { errorCodeOf, OTHER_ERROR_CODE } from './telemetry/error-code';
export { FAILURE_LOG_WINDOW_MS } from './telemetry/failure-log-summary';
export { RtcLogger } from './telemetry/rtc-logger';
export { RTC_HTTP_SERVICE, RTC_MESSAGING_OPTIONS } from './rtc-messaging.constants';
export { SealedModuleOptions, unsealOptions } from './sealed-module-options';
export { BudgetKey, RateLimitOptions, RedisClientLike } from './rate-limit/rate-limit.options';
export { RetryOptions } from './retry/retry.options';
export * from './rtc-openapi.constants';
export * from './errors';
export {
  CallOptions,
  FanOutFailureSample,
  FanOutProgress,
  FanOutResult,
  FanOutSummary,
  RtcSendResult,
  SendFanOutDto,
  SendOptions,
  SendStatus,
  SendToManyOptions,
  SendUnicastDto,
  SendUnicastInput,
  UnicastService,
} from './unicast';
export {
  expandIdListViolations,
  IsRtcIdList,
  RoomBatchChunk,
  RoomBatchResult,
  RoomIdParamsDto,
  RoomMessagingService,
  RoomSendOptions,
  SendRoomBatchDto,
  SendRoomBroadcastDto,
  SendRoomUnicastDto,
} from './room';
export {
  IsRtcId,
  IsRtcMessage,
  MessageContentDto,
  MessageOptionsDto,
  MAX_INPUT_DEPTH,
  messageBytes,
  nestsDeeperThan,
  RTC_VALIDATOR_OPTIONS,
  toFieldViolations,
  validateInput,
} from './validation';
export {
  MessagingResult,
  OpenApiEnvelope,
  OpenApiSuccess,
  ResolvedHttpOptions,
  RtcAgents,
  RtcCaBundle,
  RtcHttpOptions,
  RtcHttpService,
  RtcOpenApiClient,
  RtcProxySetting,
} from './transport';
export { Credentials, CredentialsSupplier, ExpiringCredentials, V4Signer } from './signing';
export {
  DEFAULT_TOKEN_TTL_SECONDS,
  IsAppKey,
  LoginTokenDto,
  LoginTokenOptions,
  MAX_TOKEN_TTL_SECONDS,
  RoomTokenDto,
  RoomTokenOptions,
  RTC_TOKEN_CLOCK,
  RtcIssuedToken,
  RtcTokenClock,
  RtcTokenExpectations,
  RtcTokenInvalidReason,
  RtcTokenService,
  RtcTokenVerification,
} from './token-service';
export {
  parseRtcToken,
  RTC_TOKEN_APP_ID_PATTERN,
  RTC_TOKEN_MAX_LENGTH,
  RTC_TOKEN_PRIVILEGES,
  RtcAppKeys,
  RtcTokenContent,
  RtcTokenFormatError,
  RtcTokenPrivilegeGrant,
  RtcTokenVerdict,
  serializeRtcToken,
  tokenValidUntil,
  verifyRtcToken,
} from './tokens';
// Receiving what RTC sends: event callbacks and client messages (see the README's "Receiving").
export * from './inbound';
