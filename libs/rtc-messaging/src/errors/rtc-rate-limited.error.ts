import { RtcError } from './rtc-error';
import { describeUpstream, UpstreamErrorDetails } from './rtc-upstream.error';

/**
 * Too many calls: either the upstream throttled this one (HTTP 429 / `FlowLimitExceeded*`,
 * `upstream` is set) or the module's own budget refused to wait longer for it. Either way the
 * message was not sent; try again after `retryAfterMs`.
 */
export class RtcRateLimitedError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(
    /** When a retry may succeed, in milliseconds from now. */
    readonly retryAfterMs: number,
    /** Set when the upstream, not the local budget, refused the call. */
    readonly upstream?: UpstreamErrorDetails,
  ) {
    super(
      upstream
        ? `RTC OpenAPI throttled the call: ${describeUpstream(upstream)}`
        : `RTC call budget exhausted; retry in ${retryAfterMs} ms`,
    );
  }
}
