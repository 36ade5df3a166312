export { DeliveryOutcome, RtcError } from './rtc-error';
export { FieldViolation, RtcValidationError } from './rtc-validation.error';
export { RtcConfigurationError } from './rtc-configuration.error';
export { RtcUpstreamError, UpstreamErrorDetails } from './rtc-upstream.error';
export { RtcClockSkewError } from './rtc-clock-skew.error';
export { RtcRateLimitedError } from './rtc-rate-limited.error';
export { RtcTransportError, TransportFailure } from './rtc-transport.error';
export { RtcUnknownOutcomeError, UnknownOutcomeReason } from './rtc-unknown-outcome.error';
export { GATEWAY_ERRORS, GatewayErrorCode } from './gateway-error-codes';
