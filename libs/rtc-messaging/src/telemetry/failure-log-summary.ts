import type { MessagingAction } from '../rtc-openapi.constants';
import type { RtcLogger } from './rtc-logger';

/** At most one line per error code per this many ms. */
export const FAILURE_LOG_WINDOW_MS = 10_000;

/** What the summary keeps of one error code. */
interface CodeState {
  /** When the last line for this code was written (`Date.now()`). */
  lastLineAt: number;
  retried: number;
  failed: number;
  lastAction?: MessagingAction;
  lastRequestId?: string;
  /** Writes the counts gathered since the last line once the window has passed. */
  timer?: NodeJS.Timeout;
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
  private readonly codes = new Map<string, CodeState>();

  constructor(
    private readonly logger: RtcLogger,
    private readonly windowMs = FAILURE_LOG_WINDOW_MS,
  ) {}

  /** An attempt failed with `code` and will be retried. */
  retried(code: string, action: MessagingAction, requestId: string | undefined): void {
    this.count(code, action, requestId).retried++;
    this.maybeWrite(code);
  }

  /** A call failed for good with `code`. */
  failed(code: string, action: MessagingAction, requestId: string | undefined): void {
    this.count(code, action, requestId).failed++;
    this.maybeWrite(code);
  }

  /** Writes every pending count now and stops the timers (the module is shutting down). */
  flush(): void {
    for (const [code, state] of this.codes) {
      clearTimeout(state.timer);
      if (state.retried + state.failed > 0) this.write(code, state);
    }
    this.codes.clear();
  }

  private count(code: string, action: MessagingAction, requestId: string | undefined): CodeState {
    let state = this.codes.get(code);
    if (!state) {
      state = { lastLineAt: -Infinity, retried: 0, failed: 0 };
      this.codes.set(code, state);
    }
    state.lastAction = action;
    // A later failure without one (a timeout) keeps the last the upstream gave.
    if (requestId) state.lastRequestId = requestId;
    return state;
  }

  private maybeWrite(code: string): void {
    const state = this.codes.get(code)!;
    if (state.timer) return;
    const wait = state.lastLineAt + this.windowMs - Date.now();
    if (wait <= 0) {
      this.write(code, state);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.write(code, state);
    }, wait);
    // Pending counts must not keep a process alive that has nothing else to do.
    state.timer.unref();
  }

  private write(code: string, state: CodeState): void {
    const counts = [
      state.failed > 0 ? `${state.failed} failed ${state.failed === 1 ? 'call' : 'calls'}` : '',
      state.retried > 0
        ? `${state.retried} retried ${state.retried === 1 ? 'attempt' : 'attempts'}`
        : '',
    ].filter(Boolean);
    const last = state.lastRequestId ? `, RequestId ${state.lastRequestId}` : '';
    this.logger.warn(
      `${code}: ${counts.join(' and ')} since the last report ` +
        `(last: ${state.lastAction}${last}); at most one line per ${this.windowMs / 1000} s per code`,
    );
    state.lastLineAt = Date.now();
    state.retried = 0;
    state.failed = 0;
  }
}
