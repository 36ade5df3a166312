import { inspect } from 'node:util';
import { registerAs } from '@nestjs/config';
import { validateEnv } from '../config/env.schema';

/**
 * What RTC sends the app, as configured: the callback secrets (unset: the event route answers
 * 503 "not configured") and whether client messages are echoed back to their senders. The
 * secrets live in `#private` fields, read through getters, so they show neither in
 * `util.inspect` (even with `showHidden`) nor in `JSON.stringify` of this provider. A plain
 * instance: not frozen, every property configurable (Nest 12 may proxy providers).
 */
export class RtcInboundSettings {
  readonly #callbackSecret: string | undefined;
  readonly #secondaryCallbackSecret: string | undefined;

  constructor(
    callbackSecret: string | undefined,
    secondaryCallbackSecret: string | undefined,
    /** `RTC_ECHO_CLIENT_MESSAGES`: echo each client message back to its sender. */
    readonly echoClientMessages: boolean,
  ) {
    this.#callbackSecret = callbackSecret;
    this.#secondaryCallbackSecret = secondaryCallbackSecret;
  }

  /** `RTC_CALLBACK_SECRET`, the RTC console's callback secret. */
  get callbackSecret(): string | undefined {
    return this.#callbackSecret;
  }

  /** `RTC_CALLBACK_SECRET_SECONDARY`, the previous one while it is rotated. */
  get secondaryCallbackSecret(): string | undefined {
    return this.#secondaryCallbackSecret;
  }

  toJSON(): object {
    return { ...this.shown(), echoClientMessages: this.echoClientMessages };
  }

  [inspect.custom](): string {
    return `RtcInboundSettings ${inspect(this.toJSON())}`;
  }

  private shown(): object {
    return {
      ...(this.#callbackSecret !== undefined && { callbackSecret: '[redacted]' }),
      ...(this.#secondaryCallbackSecret !== undefined && {
        secondaryCallbackSecret: '[redacted]',
      }),
    };
  }
}

/**
 * The settings from the environment. The client-message route needs `RTC_APP_KEY` (the
 * library's token check), which `rtcConfig` passes to `RtcMessagingModule`.
 */
export const rtcInboundConfig = registerAs('rtcInbound', () => {
  const env = validateEnv(process.env);
  return new RtcInboundSettings(
    env.RTC_CALLBACK_SECRET,
    env.RTC_CALLBACK_SECRET_SECONDARY,
    env.RTC_ECHO_CLIENT_MESSAGES,
  );
});

/** What `rtcInboundConfig.KEY` injects. */
export type RtcInboundConfig = RtcInboundSettings;
