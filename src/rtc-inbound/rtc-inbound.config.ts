import { ConfigType, registerAs } from '@nestjs/config';
import { validateEnv } from '../config/env.schema';

/**
 * What RTC sends the app, from the environment: the callback secrets (unset: the event route
 * answers 503 "not configured") and whether client messages are echoed back to their senders.
 * The client-message route needs `RTC_APP_KEY` (the library's token check), set in `rtcConfig`.
 */
export const rtcInboundConfig = registerAs('rtcInbound', () => {
  const env = validateEnv(process.env);
  return {
    callbackSecret: env.RTC_CALLBACK_SECRET,
    secondaryCallbackSecret: env.RTC_CALLBACK_SECRET_SECONDARY,
    echoClientMessages: env.RTC_ECHO_CLIENT_MESSAGES,
  };
});

export type RtcInboundConfig = ConfigType<typeof rtcInboundConfig>;
