import { FAILURE_LOG_WINDOW_MS } from './failure-log-summary';
import { WindowedLog } from './windowed-log';

/**
 * Log lines that repeat word for word (the same error while a dependency stays down), each
 * written at most once per window: the first at once, the next when the window ends, with how
 * often it came since, and what is left on `flush`.
 */
export class RepeatedLines {
  private readonly lines: WindowedLog<{ times: number }>;

  /** @param write writes one line (to the logger, at the level the caller chose) */
  constructor(write: (line: string) => void, windowMs = FAILURE_LOG_WINDOW_MS) {
    this.lines = new WindowedLog(
      windowMs,
      () => ({ times: 0 }),
      (line, { times }) =>
        write(
          times === 1
            ? line
            : `${line} (${times} times since the last report; at most one line per ` +
                `${windowMs / 1000} s per message)`,
        ),
    );
  }

  /** One more occurrence of `line`. */
  record(line: string): void {
    this.lines.record(line, countOne);
  }

  /** Writes what is gathered now (shutting down). */
  flush(): void {
    this.lines.flush();
  }
}

function countOne(seen: { times: number }): void {
  seen.times++;
}
