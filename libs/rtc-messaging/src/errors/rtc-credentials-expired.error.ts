import { RtcError } from './rtc-error';

/**
 * The credentials from the `credentials` option expired and no new set came in time: every
 * refresh since failed (each failure is logged). The message was not sent; calls succeed again as
 * soon as a refresh does.
 */
export class RtcCredentialsExpiredError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  /**
   * @param expiredAt when the last set expired
   * @param lastFailure why the last refresh failed (an error's name and message, no secret)
   */
  constructor(
    readonly expiredAt: Date,
    lastFailure?: string,
  ) {
    super(
      `RTC credentials expired at ${expiredAt.toISOString()} and no new set came from the ` +
        `credentials option${lastFailure ? ` (last refresh: ${lastFailure})` : ''}; ` +
        'the message was not sent',
    );
  }
}
