/**
 * Blocks the calling thread for `ms` milliseconds of real (monotonic) time: CPU work as a gateway
 * does it, during which this process reads, counts and answers nothing. Not on the emulator's
 * injectable clock, which a test may hold still.
 */
export function busyWait(ms: number): void {
  if (!(ms > 0)) return;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: the point is that nothing else runs
  }
}

/** One stall: when the emulator's event loop stopped and started again, on its clock (epoch ms). */
export interface EventLoopStall {
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * Every `everyMs`, blocks the event loop for `stallMs` (see {@link busyWait}): the pauses of a
 * gateway's garbage collector or of a noisy neighbour, which queue the requests that arrive
 * meanwhile and let them all be counted at once when it ends.
 */
export class EventLoopStalls {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param everyMs interval from one stall's start to the next one's; 0 turns stalls off.
   * @param stallMs how long each one blocks.
   * @param now the clock the stalls are reported on.
   * @param onStall told of each stall once it ended.
   */
  constructor(
    private readonly everyMs: number,
    private readonly stallMs: number,
    private readonly now: () => number,
    private readonly onStall: (stall: EventLoopStall) => void,
  ) {}

  /** Starts stalling (idempotent; a no-op when stalls are off). */
  start(): void {
    if (this.timer !== undefined || this.everyMs === 0) return;
    this.timer = setInterval(() => {
      const startedAt = this.now();
      busyWait(this.stallMs);
      this.onStall({ startedAt, endedAt: this.now() });
    }, this.everyMs);
    // A forgotten emulator must not keep a test process alive through its stalls alone.
    this.timer.unref();
  }

  /** Stops stalling. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
