import { ConfigType, registerAs } from '@nestjs/config';
import { validateEnv } from './env.schema';

/** The demo app's own settings: where it listens and who may call it. */
export const serverConfig = registerAs('server', () => {
  const env = validateEnv(process.env);
  return {
    port: env.PORT,
    apiKeys: env.API_KEYS,
  };
});

export type ServerConfig = ConfigType<typeof serverConfig>;
