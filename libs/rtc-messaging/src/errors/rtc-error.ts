/**
 * Whether the message may have reached the upstream.
 * - `not_delivered`: it surely was not accepted; sending again cannot duplicate it.
 * - `unknown`: it may have been accepted (e.g. a timeout after the request was written); sending
 *   again may deliver it twice, because SendUnicast has no idempotency key.
 */
export type DeliveryOutcome = 'not_delivered' | 'unknown';

/** Base class of every error this module throws. Carries nothing secret. */
export abstract class RtcError extends Error {
  abstract readonly outcome: DeliveryOutcome;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
