import { RtcError, RtcValidationError } from '../errors';

/**
 * What became of one call of a multi-recipient send (a fan-out recipient, a batch chunk):
 * - `sent`: the upstream accepted it.
 * - `refused`: it surely was not delivered (invalid, refused, throttled, unreachable, or
 *   cancelled before it went out); sending it again cannot duplicate it.
 * - `unknown`: it may have been delivered (`RtcUnknownOutcomeError`); sending it again may
 *   deliver it twice.
 *
 * @example
 * if (result.status === 'refused') retryLater.push(result.to);
 */
export type SendStatus = 'sent' | 'refused' | 'unknown';

/** `reason` of a call that was cancelled before it went out. */
export const CANCELLED_REASON = 'cancelled before it was sent';

/** A failed call, classified. */
export interface SendFailure {
  readonly status: Exclude<SendStatus, 'sent'>;
  /** What the call threw: an `RtcError`, or the signal's reason when it was cancelled. */
  readonly error: unknown;
  /** One line for logs and HTTP answers: the violations, the error's message, or cancellation. */
  readonly reason: string;
}

/**
 * Classifies what a call threw. Only an error whose `outcome` is `unknown` may have delivered the
 * message; everything else (including the signal's reason, which the budget and the retry wait
 * reject with) is a refusal.
 */
export function describeFailure(error: unknown, signal?: AbortSignal): SendFailure {
  if (signal?.aborted && error === signal.reason) {
    return { status: 'refused', error, reason: CANCELLED_REASON };
  }
  const status = error instanceof RtcError && error.outcome === 'unknown' ? 'unknown' : 'refused';
  // "Invalid input: to must be…" would misname what was wrong with a recipient.
  const reason =
    error instanceof RtcValidationError
      ? error.violations.map((v) => v.message).join('; ')
      : error instanceof Error
        ? error.message
        : String(error);
  return { status, error, reason };
}
