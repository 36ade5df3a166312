import type { IncomingMessage } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, ViewOptions } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RTC_METRICS } from 'nestjs-volcengine-rtc';
import { HEALTH_PATH } from '../health/health.constants';
import { DEFAULT_SERVICE_NAME, METRICS_PATH, OtlpProtocol } from './telemetry.constants';

/** The variables `startTelemetry` reads (the OTLP exporters read their own `OTEL_EXPORTER_OTLP_*`). */
export type TelemetryEnv = Readonly<
  Partial<
    Record<
      | 'METRICS_ENABLED'
      | 'OTEL_SERVICE_NAME'
      | 'OTEL_EXPORTER_OTLP_ENDPOINT'
      | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
      | 'OTEL_EXPORTER_OTLP_PROTOCOL',
      string
    >
  >
>;

/** What `startTelemetry` set up: the `/metrics` exporter (unless turned off) and a way to stop. */
export interface Telemetry {
  /** Serves `/metrics`; absent with `METRICS_ENABLED=false`. */
  readonly prometheus?: PrometheusExporter;
  /** Whether traces are exported (an OTLP endpoint is set). */
  readonly tracing: boolean;
  /** Exports the spans still buffered (the app is closing; the process may exit next). */
  flush(): Promise<void>;
  /** Exports the spans still buffered, then stops both providers. */
  shutdown(): Promise<void>;
}

let started: Telemetry | undefined;

/** The telemetry this process started, if it did (see `src/telemetry/instrumentation.ts`). */
export function activeTelemetry(): Telemetry | undefined {
  return started;
}

/**
 * Second-valued histograms get a `.seconds` suffix: the Prometheus exporter appends no unit, and
 * OpenTelemetry's Prometheus conversion (and the metric names) want
 * `rtc_messaging_call_duration_seconds_*`. Their bucket boundaries come from the library's advice.
 */
const SECONDS_HISTOGRAMS: ViewOptions[] = [RTC_METRICS.callDuration, RTC_METRICS.budgetWait].map(
  (name) => ({ instrumentName: name, name: `${name}.seconds` }),
);

/** Probes and scrapes are not traced: one every few seconds would bury the requests that matter. */
const isProbeOrScrape = (request: IncomingMessage): boolean => {
  const path = (request.url ?? '/').split('?', 1)[0];
  return path === METRICS_PATH || path.startsWith(`/${HEALTH_PATH}/`);
};

/** The trace exporter for `protocol`; it reads its endpoint from `OTEL_EXPORTER_OTLP_*` itself. */
function otlpTraceExporter(protocol: OtlpProtocol) {
  return protocol === 'http/json' ? new OtlpJsonTraceExporter() : new OtlpProtobufTraceExporter();
}

/**
 * Registers the OpenTelemetry SDK globally, once per process: a meter provider read by a
 * Prometheus exporter (unless `METRICS_ENABLED=false`), and, when an OTLP endpoint is set, a
 * tracer provider exporting over OTLP with the HTTP and Express instrumentations, so an incoming
 * request's span is the parent of the library's. Nothing is exported without an endpoint.
 *
 * Call it before Nest, Express or `http` are loaded (main.ts imports `./telemetry/instrumentation`
 * first): the library takes its meter when its module is created, and the instrumentations patch
 * modules as they are required. A second call returns the first one's result.
 */
export function startTelemetry(env: TelemetryEnv): Telemetry {
  if (started) return started;
  const resource = resourceFromAttributes({
    'service.name': env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
  });

  let prometheus: PrometheusExporter | undefined;
  let meterProvider: MeterProvider | undefined;
  if (env.METRICS_ENABLED?.trim() !== 'false') {
    // Served by the app on its own port (see `mountMetrics`), not by a server of the exporter's.
    prometheus = new PrometheusExporter({ preventServerStart: true });
    meterProvider = new MeterProvider({
      resource,
      readers: [prometheus],
      views: SECONDS_HISTOGRAMS,
    });
    metrics.setGlobalMeterProvider(meterProvider);
  }

  let tracerProvider: NodeTracerProvider | undefined;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (endpoint) {
    const protocol = (env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || 'http/protobuf') as OtlpProtocol;
    tracerProvider = new NodeTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(otlpTraceExporter(protocol))],
    });
    // Also installs the AsyncLocalStorage context manager that carries a request's span through
    // Nest into the library's calls, and the W3C trace-context propagator.
    tracerProvider.register();
    registerInstrumentations({
      tracerProvider,
      instrumentations: [
        new HttpInstrumentation({ ignoreIncomingRequestHook: isProbeOrScrape }),
        new ExpressInstrumentation(),
      ],
    });
  }

  started = {
    prometheus,
    tracing: tracerProvider !== undefined,
    flush: async () => {
      await tracerProvider?.forceFlush();
    },
    shutdown: async () => {
      await Promise.all([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
    },
  };
  return started;
}
