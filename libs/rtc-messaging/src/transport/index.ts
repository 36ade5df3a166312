export {
  MessagingResult,
  OpenApiEnvelope,
  OpenApiError,
  OpenApiResponseMetadata,
  resultMessage,
} from './openapi-envelope';
export { OpenApiSuccess, RtcOpenApiClient } from './rtc-openapi.client';
export { IDLE_SOCKET_TTL_MS, rtcHttpServiceProvider } from './http-service.provider';
