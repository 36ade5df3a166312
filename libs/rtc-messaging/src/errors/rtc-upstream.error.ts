import { RtcError } from './rtc-error';

/** What the upstream said about a failed call (`ResponseMetadata.Error` and the HTTP status). */
export interface UpstreamErrorDetails {
  /** HTTP status of the answer. */
  readonly status: number;
  /** `Error.Code`, e.g. `InvalidParameter.IllegalTo`, `SignatureDoesNotMatch`. */
  readonly code: string;
  /** `Error.CodeN`, the gateway's numeric code (absent for service-level errors). */
  readonly codeN?: number;
  /** `ResponseMetadata.RequestId`, to quote to Volcengine support. */
  readonly requestId?: string;
  /** `Error.Message`, the upstream's text. */
  readonly upstreamMessage?: string;
  /** A `Retry-After` header (seconds or a date), as milliseconds from now. */
  readonly retryAfterMs?: number;
}

/** `HTTP 400 InvalidParameter.IllegalTo: … [RequestId …]` */
export function describeUpstream(details: UpstreamErrorDetails): string {
  return (
    `HTTP ${details.status} ${details.code}` +
    (details.codeN ? ` (${details.codeN})` : '') +
    (details.upstreamMessage ? `: ${details.upstreamMessage}` : '') +
    (details.requestId ? ` [RequestId ${details.requestId}]` : '')
  );
}

/**
 * The upstream answered and refused the call, so the message was not accepted: a bad parameter,
 * credentials or permissions, or a gateway that could not reach the service (502 `FailToConnect`).
 * Answers that may have come after the message was accepted (HTTP 500, 504, any other 502) are
 * `RtcUnknownOutcomeError` instead.
 */
export class RtcUpstreamError extends RtcError implements UpstreamErrorDetails {
  readonly outcome = 'not_delivered' as const;
  readonly status: number;
  readonly code: string;
  readonly codeN?: number;
  readonly requestId?: string;
  readonly upstreamMessage?: string;
  readonly retryAfterMs?: number;

  constructor(details: UpstreamErrorDetails) {
    super(`RTC OpenAPI refused the call: ${describeUpstream(details)}`);
    this.status = details.status;
    this.code = details.code;
    this.codeN = details.codeN;
    this.requestId = details.requestId;
    this.upstreamMessage = details.upstreamMessage;
    this.retryAfterMs = details.retryAfterMs;
  }
}
