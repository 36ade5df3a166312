import { RtcError, RtcRateLimitedError, RtcTransportError, RtcUpstreamError } from '../errors';
import { ResolvedRetryOptions } from './retry.options';

/**
 * Gateway answers that say the service never took the call: the gateway could not connect to it
 * (502 `FailToConnect`) or it was briefly unavailable (503 `ServiceUnavailableTemp`).
 */
const NOT_ACCEPTED_CODES = new Set(['FailToConnect', 'ServiceUnavailableTemp']);

/**
 * Whether another attempt may be made after `error`. Only failures where the message surely was
 * not accepted are retried, unless the caller opted into at-least-once delivery; validation,
 * authentication and clock errors are never retried (another attempt would fail the same way).
 */
export function isRetryable(
  error: unknown,
  options: Pick<ResolvedRetryOptions, 'unknownOutcome'>,
): boolean {
  if (!(error instanceof RtcError)) return false;
  if (error.outcome === 'unknown') return options.unknownOutcome;
  // The upstream throttled us; our own budget refusing is final (it already waited its maxWaitMs).
  if (error instanceof RtcRateLimitedError) return error.upstream !== undefined;
  if (error instanceof RtcUpstreamError) return NOT_ACCEPTED_CODES.has(error.code);
  // A connection that was never made, or never made in time: nothing was sent.
  return error instanceof RtcTransportError && error.failure !== 'bad_response';
}

/**
 * Wait before attempt `attempt + 1` (attempt counts from 1): the upstream's `Retry-After` when it
 * sent one, else "full jitter" — uniform in [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))] —
 * which spreads the retries of many callers instead of having them collide again.
 */
export function backoffDelayMs(
  attempt: number,
  error: unknown,
  options: Pick<ResolvedRetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  // Only a Retry-After the upstream actually sent overrides the backoff.
  const retryAfterMs =
    error instanceof RtcRateLimitedError
      ? error.upstream?.retryAfterMs
      : error instanceof RtcUpstreamError
        ? error.retryAfterMs
        : undefined;
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}
