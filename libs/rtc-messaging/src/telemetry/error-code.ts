import {
  DOCUMENTED_ERROR_CODES,
  RtcBudgetUnavailableError,
  RtcError,
  RtcRateLimitedError,
  RtcShuttingDownError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
} from '../errors';
import type { RtcCallOutcome } from './telemetry-names';

/** What a code that is not in the documented set (or not a tidy label) is counted as. */
export const OTHER_ERROR_CODE = 'Other';

/** A code that may label a metric or key a log line: short, and of the characters codes use. */
const LABEL_PATTERN = /^[A-Za-z0-9._]{1,64}$/;

/** What the transport names an error answer without a `Code`: `HTTP` and its status. */
const STATUS_CODE_PATTERN = /^HTTP[1-5][0-9]{2}$/;

/**
 * A failure's `rtc.error_code`: few distinct values, so that it can label metrics and key the log
 * summary. The upstream's `Code` when it answered one in the documented set
 * (`DOCUMENTED_ERROR_CODES`: `FlowLimitExceeded`, `InvalidParameter.IllegalTo`, …), or `HTTP` and
 * the status when it answered none; `Other` for any other code it sends, since the upstream could
 * otherwise make a new metric series and log line per call (the error itself keeps the raw code).
 * Otherwise the module's own: `BudgetExhausted` (the local budget refused), `BudgetUnavailable`,
 * `ShuttingDown`, `Transport.connect` / `.timeout` / `.bad_response`, `Unknown.timeout` / `.reset`
 * / `.bad_response`; the error's class name for anything else (e.g. `AbortError`). Whatever it
 * returns is at most 64 characters of `A-Z a-z 0-9 . _`.
 */
export function errorCodeOf(error: unknown): string {
  const upstream = upstreamCodeOf(error);
  if (upstream !== undefined) {
    return DOCUMENTED_ERROR_CODES.has(upstream) || STATUS_CODE_PATTERN.test(upstream)
      ? upstream
      : OTHER_ERROR_CODE;
  }
  const own = ownCodeOf(error);
  return LABEL_PATTERN.test(own) ? own : OTHER_ERROR_CODE;
}

/** The code the upstream answered, when it answered one. */
function upstreamCodeOf(error: unknown): string | undefined {
  if (error instanceof RtcUpstreamError) return error.code;
  if (error instanceof RtcRateLimitedError || error instanceof RtcUnknownOutcomeError) {
    return error.upstream?.code;
  }
  return undefined;
}

/** The module's name for a failure the upstream gave no code for. */
function ownCodeOf(error: unknown): string {
  if (error instanceof RtcRateLimitedError) return 'BudgetExhausted';
  if (error instanceof RtcUnknownOutcomeError) return `Unknown.${error.reason}`;
  if (error instanceof RtcTransportError) return `Transport.${error.failure}`;
  if (error instanceof RtcBudgetUnavailableError) return 'BudgetUnavailable';
  if (error instanceof RtcShuttingDownError) return 'ShuttingDown';
  return error instanceof Error ? error.name : 'Error';
}

/** The upstream's RequestId of a failure, when it answered one. */
export function requestIdOf(error: unknown): string | undefined {
  if (error instanceof RtcUpstreamError) return error.requestId;
  if (error instanceof RtcRateLimitedError || error instanceof RtcUnknownOutcomeError) {
    return error.upstream?.requestId;
  }
  return undefined;
}

/** A failure's `rtc.outcome`: only an error whose `outcome` is `unknown` may have delivered. */
export function outcomeOf(error: unknown): RtcCallOutcome {
  return error instanceof RtcError && error.outcome === 'unknown' ? 'unknown' : 'not_delivered';
}
