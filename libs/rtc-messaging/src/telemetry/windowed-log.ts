/**
 * Log lines about something that repeats (a failing call, a Redis that keeps refusing), at most
 * one per key per window: the first occurrence of a key is written at once; those that follow
 * within `windowMs` of the last line are gathered into the key's state and written as one line
 * when the window ends. No occurrence is lost: `flush` writes what is gathered at shutdown. An
 * outage then writes a line per window, not a line per attempt.
 */
export class WindowedLog<TState> {
  private readonly keys = new Map<string, Entry<TState>>();

  /**
   * @param fresh the state of a key with nothing gathered yet
   * @param write writes one line for `key` from what was gathered since its last line
   */
  constructor(
    private readonly windowMs: number,
    private readonly fresh: () => TState,
    private readonly write: (key: string, gathered: TState) => void,
  ) {}

  /** One occurrence of `key`: `gather` adds it to the key's state; a line follows now or later. */
  record(key: string, gather: (state: TState) => void): void {
    let entry = this.keys.get(key);
    if (!entry) {
      entry = { lastLineAt: -Infinity, pending: false, state: this.fresh() };
      this.keys.set(key, entry);
    }
    gather(entry.state);
    entry.pending = true;
    if (entry.timer) return;
    const wait = entry.lastLineAt + this.windowMs - Date.now();
    if (wait <= 0) {
      this.writeLine(key, entry);
      return;
    }
    const pending = entry;
    entry.timer = setTimeout(() => {
      pending.timer = undefined;
      this.writeLine(key, pending);
    }, wait);
    // Gathered lines must not keep a process alive that has nothing else to do.
    entry.timer.unref();
  }

  /** Writes every gathered line now and stops the timers (shutting down). */
  flush(): void {
    for (const [key, entry] of this.keys) {
      clearTimeout(entry.timer);
      if (entry.pending) this.writeLine(key, entry);
    }
    this.keys.clear();
  }

  private writeLine(key: string, entry: Entry<TState>): void {
    this.write(key, entry.state);
    entry.lastLineAt = Date.now();
    entry.pending = false;
    entry.state = this.fresh();
  }
}

interface Entry<TState> {
  /** When the key's last line was written (`Date.now()`). */
  lastLineAt: number;
  /** Whether something was gathered since that line. */
  pending: boolean;
  state: TState;
  /** Writes the gathered state once the window has passed. */
  timer?: NodeJS.Timeout;
}
