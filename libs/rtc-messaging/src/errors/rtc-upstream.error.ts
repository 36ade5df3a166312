import { DeliveryOutcome, RtcError } from './rtc-error';

/** What the upstream said about a failed call (`ResponseMetadata.Error` and the HTTP status). */
export interface UpstreamErrorDetails {
  /** HTTP status of the answer. */
  readonly status: number;
  /** `Error.Code`, e.g. `InvalidParameter.IllegalTo`, `SignatureDoesNotMatch`. */
  readonly code: string;
  /** `Error.CodeN`, the gateway's numeric code (0 or absent for service-level errors). */
  readonly codeN?: number;
  /** `ResponseMetadata.RequestId`, to quote to Volcengine support. */
  readonly requestId?: string;
  /** `Error.Message`, the upstream's text. */
  readonly upstreamMessage?: string;
  /** Seconds or date from a `Retry-After` header, as milliseconds. */
  readonly retryAfterMs?: number;
}

/**
 * The upstream answered, and refused the call. Its outcome is `unknown` for 500 and 504 answers
 * (the service may have accepted the message before failing) and `not_delivered` otherwise.
 */
export class RtcUpstreamError extends RtcError implements UpstreamErrorDetails {
  readonly outcome: DeliveryOutcome;
  readonly status: number;
  readonly code: string;
  readonly codeN?: number;
  readonly requestId?: string;
  readonly upstreamMessage?: string;
  readonly retryAfterMs?: number;

  constructor(details: UpstreamErrorDetails, outcome: DeliveryOutcome) {
    super(
      `RTC OpenAPI refused the call: HTTP ${details.status} ${details.code}` +
        (details.codeN ? ` (${details.codeN})` : '') +
        (details.upstreamMessage ? `: ${details.upstreamMessage}` : '') +
        (details.requestId ? ` [RequestId ${details.requestId}]` : ''),
    );
    this.outcome = outcome;
    this.status = details.status;
    this.code = details.code;
    this.codeN = details.codeN;
    this.requestId = details.requestId;
    this.upstreamMessage = details.upstreamMessage;
    this.retryAfterMs = details.retryAfterMs;
  }
}
