import { RtcError } from '../errors';
import { redactSecrets } from '../errors/rtc-budget-unavailable.error';

/**
 * The jobs' Redis is down or did not answer in time, so a job could not be created, read or
 * cancelled. Nothing was sent because of this call; try again later. Thrown at once while the
 * connection is down, else after the budget's Redis timeout (250 ms), never after ioredis's
 * reconnection retries.
 *
 * `cause` holds the Redis error for diagnosis, stripped of anything that may hold a password; the
 * message names neither the address nor the password.
 */
export class FanOutJobsUnavailableError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `Fan-out jobs are unavailable: their Redis ${detail}; try again later`,
      options && 'cause' in options ? { cause: redactSecrets(options.cause) } : undefined,
    );
  }
}
