export {
  checkEnv,
  ENV_VARIABLES,
  EnvValidationError,
  EnvVariable,
  validateEnv,
} from './env.schema';
export { RtcConfig, rtcConfig } from './rtc.config';
export { SenderPolicyConfig, senderPolicyConfig } from './sender-policy.config';
export { ServerConfig, serverConfig } from './server.config';
