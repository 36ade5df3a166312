import { ConfigType, registerAs } from '@nestjs/config';
import { jsonBodyLimitBytes } from '../app.constants';
import { validateEnv } from './env.schema';

/** The demo app's own settings: where it listens, who may call it, and how much it reads. */
export const serverConfig = registerAs('server', () => {
  const env = validateEnv(process.env);
  return {
    port: env.PORT,
    apiKeys: env.API_KEYS,
    /** Most recipients one fan-out or room batch request may name. */
    maxRecipients: env.FAN_OUT_MAX_RECIPIENTS,
    /** Largest JSON body read, sized so that a list of `maxRecipients` ids fits. */
    jsonBodyLimitBytes: jsonBodyLimitBytes(env.FAN_OUT_MAX_RECIPIENTS),
  };
});

export type ServerConfig = ConfigType<typeof serverConfig>;
