import { RtcError } from './rtc-error';

/** The module's options are missing or malformed; raised at boot. Names options, never their values. */
export class RtcConfigurationError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(readonly problems: readonly string[]) {
    super(`Invalid RtcMessagingModule options: ${problems.join('; ')}`);
  }
}
