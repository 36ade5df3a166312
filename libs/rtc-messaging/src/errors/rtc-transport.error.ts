import { DeliveryOutcome, RtcError } from './rtc-error';

/**
 * How a call failed without an answer.
 * - `connect`: the connection could not be made (refused, DNS, TLS); nothing was sent.
 * - `timeout`: no answer within `timeoutMs`.
 * - `reset`: the connection broke after it was made.
 * - `bad_response`: an answer came that is not the OpenAPI envelope.
 */
export type TransportFailure = 'connect' | 'timeout' | 'reset' | 'bad_response';

/** The upstream could not be reached, or did not answer. */
export class RtcTransportError extends RtcError {
  constructor(
    readonly failure: TransportFailure,
    readonly outcome: DeliveryOutcome,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`RTC OpenAPI ${failure === 'timeout' ? 'timed out' : 'unreachable'}: ${detail}`, options);
  }
}
