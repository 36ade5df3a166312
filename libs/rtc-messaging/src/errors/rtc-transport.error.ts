import { RtcError } from './rtc-error';

/**
 * Why the upstream could not be used, before it could have accepted anything.
 * - `connect`: no connection (refused, DNS, TLS, reset before the request was written).
 * - `timeout`: no connection within `timeoutMs`.
 * - `bad_response`: a refusal that is not the OpenAPI envelope and cannot come after forwarding
 *   (e.g. a proxy's HTML 503 or 403 page; its 502 is `RtcUnknownOutcomeError` instead).
 */
export type TransportFailure = 'connect' | 'timeout' | 'bad_response';

/** The upstream could not be reached; the message was not sent. */
export class RtcTransportError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(
    readonly failure: TransportFailure,
    detail: string,
  ) {
    super(`RTC OpenAPI unreachable (${failure}): ${detail}`);
  }
}
