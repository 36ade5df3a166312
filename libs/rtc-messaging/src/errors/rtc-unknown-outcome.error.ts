import { RtcError } from './rtc-error';
import { describeUpstream, UpstreamErrorDetails } from './rtc-upstream.error';

/**
 * Why a call's outcome is unknown.
 * - `timeout`: the request was written, but no answer came within `timeoutMs`.
 * - `reset`: the connection broke after the request was written.
 * - `upstream_error`: the upstream answered HTTP 500, 504, or 502 other than the gateway's own
 *   `FailToConnect` (after the call may have been handed to the service), or an error inside a 2xx.
 * - `bad_response`: a 2xx, 500, 502 or 504 answer that is not an OpenAPI envelope (e.g. a load
 *   balancer's HTML 502 page, sent after it may have forwarded the call).
 */
export type UnknownOutcomeReason = 'timeout' | 'reset' | 'upstream_error' | 'bad_response';

/**
 * The call failed after the message may have been accepted: it may or may not reach the user.
 * Sending it again may deliver it twice (SendUnicast has no idempotency key), so the module does
 * not retry these unless `retry.unknownOutcome` is on. Put a dedup id in the message if clients
 * must never see a duplicate.
 */
export class RtcUnknownOutcomeError extends RtcError {
  readonly outcome = 'unknown' as const;

  constructor(
    readonly reason: UnknownOutcomeReason,
    detail: string,
    /** What the upstream said, when it answered. */
    readonly upstream?: UpstreamErrorDetails,
  ) {
    super(
      `RTC OpenAPI call may or may not have delivered the message (${reason}): ` +
        (upstream ? describeUpstream(upstream) : detail),
    );
  }
}
