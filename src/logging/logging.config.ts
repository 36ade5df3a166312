import { ConfigType, registerAs } from '@nestjs/config';
import { validateEnv } from '../config/env.schema';

/** How the app logs: `LOG_FORMAT` and `LOG_LEVEL`. */
export const loggingConfig = registerAs('logging', () => {
  const env = validateEnv(process.env);
  return { format: env.LOG_FORMAT, level: env.LOG_LEVEL };
});

export type LoggingConfig = ConfigType<typeof loggingConfig>;
