import { NestFactory } from '@nestjs/core';
import { RtcMessagingModule, UnicastService } from '../../libs/rtc-messaging/src';
import { APP_ID, BenchClient, ClientInput, FROM, MESSAGE, TO } from '../lib/workload';

/** The module client's input: `telemetry` registers an OpenTelemetry SDK before the app starts. */
export interface ModuleClientInput extends ClientInput {
  readonly telemetry?: boolean;
}

/**
 * (a) The module as an app uses it: `UnicastService` from a Nest application context, with
 * validation, signing and the axios transport; the budget off, retries at their defaults.
 *
 * With `telemetry`, an app that traces: an OpenTelemetry SDK registered first (every span
 * sampled, a BatchSpanProcessor, metrics aggregated by a reader), exporting to nowhere so that
 * the cost measured is the module's recording and the SDK's processing, not a collector's I/O.
 */
export async function createClient(input: ModuleClientInput): Promise<BenchClient> {
  const stopTelemetry = input.telemetry ? await registerOpenTelemetry() : undefined;
  const app = await NestFactory.createApplicationContext(
    RtcMessagingModule.forRoot({
      accessKeyId: input.credentials.accessKeyId,
      secretAccessKey: input.credentials.secretAccessKey,
      appId: APP_ID,
      from: FROM,
      endpoint: input.url,
      rateLimit: false,
    }),
    { logger: ['error', 'warn'] },
  );
  const unicast = app.get(UnicastService);
  return {
    async send() {
      const { message } = await unicast.send({ to: TO, message: MESSAGE });
      if (message !== 'Success') throw new Error(`unexpected Result.Message ${message}`);
    },
    close: async () => {
      await app.close();
      await stopTelemetry?.();
    },
  };
}

/** Registers a tracing and metering SDK globally; resolves to its shutdown. */
async function registerOpenTelemetry(): Promise<() => Promise<void>> {
  // Loaded here only: the plain module client must not load the SDK.
  const [api, { AsyncLocalStorageContextManager }, traceSdk, metricsSdk] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-metrics'),
  ]);
  const discard: import('@opentelemetry/sdk-trace-base').SpanExporter = {
    export: (_spans, done) => done({ code: 0 }),
    shutdown: async () => undefined,
  };
  const tracerProvider = new traceSdk.BasicTracerProvider({
    spanProcessors: [new traceSdk.BatchSpanProcessor(discard)],
  });
  const meterProvider = new metricsSdk.MeterProvider({
    readers: [
      new metricsSdk.PeriodicExportingMetricReader({
        exporter: new metricsSdk.InMemoryMetricExporter(metricsSdk.AggregationTemporality.DELTA),
        exportIntervalMillis: 1_000,
      }),
    ],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  };
}
