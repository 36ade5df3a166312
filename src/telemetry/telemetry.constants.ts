/** Where the app serves its metrics in the Prometheus text format (no API key: see public-paths). */
export const METRICS_PATH = '/metrics';

/** `service.name` of the spans and metrics when `OTEL_SERVICE_NAME` is unset. */
export const DEFAULT_SERVICE_NAME = 'rtc-messaging-demo';

/** The OTLP encodings this app exports traces in (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is not one. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
