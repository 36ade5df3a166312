import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { activeTelemetry } from './telemetry';
import { metricsConfig, MetricsConfig } from './metrics.config';
import { METRICS_PATH } from './telemetry.constants';

/**
 * Serves `GET /metrics` (Prometheus text format) on the app's own port, from the exporter that
 * `startTelemetry` registered; not at all with `METRICS_ENABLED=false`, or when the process
 * started no telemetry. No API key: `isPublicPath` lets a scraper through.
 */
export function mountMetrics(app: NestExpressApplication): void {
  const prometheus = activeTelemetry()?.prometheus;
  if (!prometheus || !app.get<MetricsConfig>(metricsConfig.KEY).enabled) return;
  app
    .getHttpAdapter()
    .get(METRICS_PATH, (request: IncomingMessage, response: ServerResponse) =>
      prometheus.getMetricsRequestHandler(request, response),
    );
}
