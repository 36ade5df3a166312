import {
  RtcBudgetUnavailableError,
  RtcError,
  RtcRateLimitedError,
  RtcShuttingDownError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
} from '../errors';
import type { RtcCallOutcome } from './telemetry-names';

/**
 * A failure's `rtc.error_code`: few distinct values, so that it can label metrics and key the log
 * summary. The upstream's `Code` when it answered one (`FlowLimitExceeded`, `InternalError`, …);
 * otherwise the module's own: `BudgetExhausted` (the local budget refused), `BudgetUnavailable`,
 * `ShuttingDown`, `Transport.connect` / `.timeout` / `.bad_response`, `Unknown.timeout` / `.reset`
 * / `.bad_response`; the error's class name for anything else (e.g. `AbortError`).
 */
export function errorCodeOf(error: unknown): string {
  if (error instanceof RtcUpstreamError) return error.code;
  if (error instanceof RtcRateLimitedError) return error.upstream?.code ?? 'BudgetExhausted';
  if (error instanceof RtcUnknownOutcomeError)
    return error.upstream?.code ?? `Unknown.${error.reason}`;
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
