export {
  MessagingResult,
  OpenApiEnvelope,
  OpenApiError,
  OpenApiResponseMetadata,
  resultMessage,
} from './openapi-envelope';
export { OpenApiSuccess, RtcOpenApiClient } from './rtc-openapi.client';
export { RtcHttpService, rtcHttpServiceProvider } from './http-service.provider';
export { IDLE_SOCKET_TTL_MS, RtcAgents } from './rtc-agents';
export {
  httpOptionProblems,
  ResolvedHttpOptions,
  RtcCaBundle,
  RtcHttpOptions,
  RtcProxySetting,
} from './http.options';
