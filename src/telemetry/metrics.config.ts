import { ConfigType, registerAs } from '@nestjs/config';
import { validateEnv } from '../config/env.schema';

/** Whether the app serves `GET /metrics` (`METRICS_ENABLED`, default true). */
export const metricsConfig = registerAs('metrics', () => ({
  enabled: validateEnv(process.env).METRICS_ENABLED,
}));

export type MetricsConfig = ConfigType<typeof metricsConfig>;
