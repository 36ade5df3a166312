import { ConfigType, registerAs } from '@nestjs/config';
import { validateEnv } from './env.schema';

/**
 * Which sender ids (`from`) and AppIds (`appId`) a request may name: the configured defaults and
 * those listed in `RTC_ALLOWED_FROM` / `RTC_ALLOWED_APP_IDS`. Every API key may send, so without
 * this any key holder could speak as any sender, through any AppId of the account.
 */
export const senderPolicyConfig = registerAs('senderPolicy', () => {
  const env = validateEnv(process.env);
  return {
    allowedFrom: new Set([env.RTC_FROM, ...env.RTC_ALLOWED_FROM]),
    allowedAppIds: new Set([env.RTC_APP_ID, ...env.RTC_ALLOWED_APP_IDS]),
  };
});

export type SenderPolicyConfig = ConfigType<typeof senderPolicyConfig>;
