import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * A registered OpenTelemetry SDK (tracer, meter, context manager) whose spans and metrics stay
 * in memory, as an app would register one before creating its Nest app. Metrics are deltas, so
 * each `metric()` shows what happened since the previous collection.
 */
export class InMemoryOpenTelemetry {
  readonly spanExporter = new InMemorySpanExporter();
  private readonly metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: this.metricExporter,
    // Collected on demand only (forceFlush).
    exportIntervalMillis: 3_600_000,
  });
  private readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.spanExporter)],
  });
  private readonly meterProvider = new MeterProvider({ readers: [this.reader] });
  private readonly contextManager = new AsyncLocalStorageContextManager();

  register(): this {
    context.setGlobalContextManager(this.contextManager.enable());
    trace.setGlobalTracerProvider(this.tracerProvider);
    metrics.setGlobalMeterProvider(this.meterProvider);
    return this;
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
    this.contextManager.disable();
    trace.disable();
    metrics.disable();
    context.disable();
  }

  /** Forgets the spans and metrics recorded so far. */
  async reset(): Promise<void> {
    await this.reader.forceFlush();
    this.metricExporter.reset();
    this.spanExporter.reset();
  }

  spans(name?: string): ReadableSpan[] {
    const spans = this.spanExporter.getFinishedSpans();
    return name === undefined ? spans : spans.filter((s) => s.name === name);
  }

  /**
   * The data points of every instrument since the last collection, by instrument name: one
   * collection for all, since a delta shows each change once.
   */
  async collect(): Promise<Map<string, DataPoint<unknown>[]>> {
    await this.reader.forceFlush();
    const byName = new Map<string, DataPoint<unknown>[]>();
    for (const metric of this.metricExporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics)) {
      const points = byName.get(metric.descriptor.name) ?? [];
      points.push(...(metric.dataPoints as DataPoint<unknown>[]));
      byName.set(metric.descriptor.name, points);
    }
    this.metricExporter.reset();
    return byName;
  }
}
