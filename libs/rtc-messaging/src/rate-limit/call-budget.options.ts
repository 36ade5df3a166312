import { DEFAULT_TIMEOUT_MS, MESSAGING_CALLS_PER_SECOND } from '../rtc-openapi.constants';
import type { BudgetStoreState } from './store-health';
import type { BudgetPriority } from './waiter-queue';

/**
 * Defaults; see the options for what each means.
 *
 * - `perSecond` 500: the documented AppId limit over the four messaging actions.
 * - `maxWaitMs` 1000: one window; a caller still waiting after that is behind a backlog that a
 *   retry by its own caller handles better, and request handlers should not hang for long.
 * - `maxQueued` 1000: room for a full window of grants being handed out now and another one
 *   waiting; anyone further back could not be served within `maxWaitMs` anyway, and the bound
 *   keeps a burst from growing memory.
 * - `callTimeoutMs`: the module's default call timeout.
 */
export const CALL_BUDGET_DEFAULTS = {
  perSecond: MESSAGING_CALLS_PER_SECOND,
  maxWaitMs: 1_000,
  maxQueued: 1_000,
  callTimeoutMs: DEFAULT_TIMEOUT_MS,
  onStoreError: 'fail-closed',
} as const;

/** Options of every `CallBudget`. */
export interface CommonOptions {
  /** Calls allowed in any window of one second, over all instances sharing the store; 500. */
  perSecond?: number;
  /** Longest a caller waits for a place before `RtcRateLimitedError`, in ms; defaults to 1000. */
  maxWaitMs?: number;
  /**
   * Most interactive callers waiting per key; one more fails at once with `RtcRateLimitedError`;
   * default 1000. Bulk callers are not counted: their callers bound them (see `BudgetPriority`).
   */
  maxQueued?: number;
  /**
   * The longest a call may take, in ms (the module's `timeoutMs`): a place that is never released
   * (its process died) is held this long after its take, plus the window and a second.
   */
  callTimeoutMs?: number;
  /** Told when the store keeping the places changes, with its error (secrets redacted); to log. */
  onStoreStateChange?: (state: BudgetStoreState, error?: unknown) => void;
  /** Current time in ms, monotonic; defaults to `performance.now()`. For tests. */
  now?: () => number;
  /** The upstream's window, in ms; defaults to 1,000. For tests, with stores of the same window. */
  windowMs?: number;
}

/** Options of a `CallBudget`; `instances` is required with the local fallback. */
export type CallBudgetOptions = CommonOptions &
  (
    | {
        /** A failing store rejects calls with `RtcBudgetUnavailableError` (the default). */
        onStoreError?: 'fail-closed';
      }
    | {
        /** A failing store is replaced by this instance's share in memory until it works again. */
        onStoreError: 'local';
        /** Instances sharing the budget; while local, each holds `floor(perSecond / instances)`. */
        instances: number;
        /** Least time between attempts to return to the failed store, in ms; defaults to 1000. */
        probeIntervalMs?: number;
      }
  );

/** Options of one `CallBudget.acquire`. */
export interface AcquireOptions {
  /** Stops waiting: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** `interactive` (the default) or `bulk`; see `BudgetPriority`. */
  readonly priority?: BudgetPriority;
  /** An interactive caller's longest wait, instead of the budget's `maxWaitMs`; in ms. */
  readonly maxWaitMs?: number;
}

/** The problems of a `CallBudget`'s options, each naming the option; none when they are valid. */
export function validateCallBudgetOptions(o: {
  perSecond: number;
  maxWaitMs: number;
  maxQueued: number;
  callTimeoutMs: number;
  onStoreError: string;
  instances?: number;
  probeIntervalMs?: number;
}): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(o.perSecond) || o.perSecond < 1) {
    problems.push('perSecond must be a positive integer');
  }
  if (!Number.isFinite(o.maxWaitMs) || o.maxWaitMs < 0) {
    problems.push('maxWaitMs must be a number ≥ 0');
  }
  if (!Number.isInteger(o.maxQueued) || o.maxQueued < 1) {
    problems.push('maxQueued must be a positive integer');
  }
  if (!Number.isFinite(o.callTimeoutMs) || o.callTimeoutMs <= 0) {
    problems.push('callTimeoutMs must be a positive number');
  }
  if (o.onStoreError !== 'fail-closed' && o.onStoreError !== 'local') {
    problems.push("onStoreError must be 'fail-closed' or 'local'");
  }
  if (o.onStoreError === 'local') {
    const instances = o.instances;
    if (instances === undefined || !Number.isInteger(instances) || instances < 1) {
      problems.push("instances must be a positive integer with onStoreError 'local'");
    } else if (Number.isInteger(o.perSecond) && instances > o.perSecond) {
      problems.push(
        'instances must not exceed perSecond (each needs at least one call per second)',
      );
    }
    if (o.probeIntervalMs !== undefined && !(o.probeIntervalMs > 0)) {
      problems.push('probeIntervalMs must be positive');
    }
  }
  return problems;
}
