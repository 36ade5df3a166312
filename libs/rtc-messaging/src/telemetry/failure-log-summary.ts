import type { MessagingAction } from '../rtc-openapi.constants';
import type { RtcLogger } from './rtc-logger';
import { WindowedLog } from './windowed-log';

/** At most one line per error code per this many ms. */
export const FAILURE_LOG_WINDOW_MS = 10_000;

/** What the summary gathers of one error code between two lines. */
interface CodeCounts {
  retried: number;
  failed: number;
  lastAction?: MessagingAction;
  lastRequestId?: string;
}

/**
 * Failed calls and retried attempts, summarized per error code: an outage or a stretch of
 * throttling near the 500/s limit must not write a line per call. The first failure of a code
 * is written at once; those that follow within `FAILURE_LOG_WINDOW_MS` are counted and written
 * as one line when the window ends, with the count since the last line and the last RequestId.
 * So each code writes at most one line per window, and no count is lost (`flush` writes what is
 * pending at shutdown).
 */
export class FailureLogSummary {
  private readonly lines: WindowedLog<CodeCounts>;

  constructor(
    private readonly logger: RtcLogger,
    private readonly windowMs = FAILURE_LOG_WINDOW_MS,
  ) {
    this.lines = new WindowedLog(
      windowMs,
      () => ({ retried: 0, failed: 0 }),
      (code, counts) => this.write(code, counts),
    );
  }

  /** An attempt failed with `code` and will be retried. */
  retried(code: string, action: MessagingAction, requestId: string | undefined): void {
    this.lines.record(code, (counts) => {
      counts.retried++;
      see(counts, action, requestId);
    });
  }

  /** A call failed for good with `code`. */
  failed(code: string, action: MessagingAction, requestId: string | undefined): void {
    this.lines.record(code, (counts) => {
      counts.failed++;
      see(counts, action, requestId);
    });
  }

  /** Writes every pending count now and stops the timers (the module is shutting down). */
  flush(): void {
    this.lines.flush();
  }

  private write(code: string, counts: CodeCounts): void {
    const parts = [
      counts.failed > 0 ? `${counts.failed} failed ${counts.failed === 1 ? 'call' : 'calls'}` : '',
      counts.retried > 0
        ? `${counts.retried} retried ${counts.retried === 1 ? 'attempt' : 'attempts'}`
        : '',
    ].filter(Boolean);
    const last = counts.lastRequestId ? `, RequestId ${counts.lastRequestId}` : '';
    this.logger.warn(
      `${code}: ${parts.join(' and ')} since the last report ` +
        `(last: ${counts.lastAction}${last}); at most one line per ${this.windowMs / 1000} s per code`,
    );
  }
}

function see(counts: CodeCounts, action: MessagingAction, requestId: string | undefined): void {
  counts.lastAction = action;
  // A later failure without one (a timeout) keeps the last the upstream gave.
  if (requestId) counts.lastRequestId = requestId;
}
