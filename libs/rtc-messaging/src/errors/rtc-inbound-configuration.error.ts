import { RtcError } from './rtc-error';

/**
 * `RtcInboundModule` cannot start: its options are missing or malformed, or its handlers are not
 * what its routes need (two handlers of one event type, no client-message handler, …). Raised at
 * boot; names options and methods, never a value.
 */
export class RtcInboundConfigurationError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(readonly problems: readonly string[]) {
    super(`Invalid RtcInboundModule setup: ${problems.join('; ')}`);
  }
}
