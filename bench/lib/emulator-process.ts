import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CountingTimesReport } from '../../libs/rtc-messaging/src/testing/emulator/counting-times';
import { exited, forkTracked, OutputTail, stopChild } from './child-processes';
import type { UpstreamModel } from './upstream-model';

/** The compiled standalone emulator, next to this file in bench/dist. */
const EMULATOR_MAIN = join(
  __dirname,
  '../../libs/rtc-messaging/src/testing/emulator/emulator.main.js',
);

/** What the emulator process prints when it stops. */
export interface EmulatorStats {
  readonly received: number;
  readonly accepted: number;
  /** Calls refused by the emulator's rate limit (not the module's connection warm-up probes). */
  readonly throttled: number;
  /** `GET /` requests: the module's connection warm-ups (and any health probe). */
  readonly probes: number;
  /** When the window counted each accepted call and each throttle; only with `recordTimes`. */
  readonly times?: CountingTimesReport;
}

/** How {@link EmulatorProcess.start} sets the emulator up. */
export interface EmulatorProcessOptions {
  /** One-way jitter, 0 to N ms before the emulator sees a request (also `upstream.jitterMs`). */
  readonly jitterMs?: number;
  /** The upstream model: where the window counts, processing cost, stalls, jitter. */
  readonly upstream?: UpstreamModel;
  /** Have the emulator report every counting time on stop (`--record-times true`). */
  readonly recordTimes?: boolean;
  readonly timeoutMs?: number;
}

/** The emulator's flags for `upstream`. */
function upstreamArgs(upstream: UpstreamModel | undefined): string[] {
  if (!upstream) return [];
  return [
    ...['--count-at', upstream.countAt, '--processing-us', String(upstream.processingUs)],
    ...(upstream.stallEveryMs
      ? ['--stall-every-ms', String(upstream.stallEveryMs), '--stall-ms', String(upstream.stallMs)]
      : []),
  ];
}

/** The emulator running in its own process, so that it never shares a CPU budget with a client. */
export class EmulatorProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly lines: string[],
    private readonly output: OutputTail,
  ) {}

  /**
   * Starts it on a free port of 127.0.0.1; `rateLimit` 0 turns the emulator's limit off, and
   * `jitterMs` delays each request by a random 0 to N ms before the emulator sees it.
   */
  static async start(
    rateLimit: number,
    { jitterMs, upstream, recordTimes = false, timeoutMs = 15_000 }: EmulatorProcessOptions = {},
  ): Promise<EmulatorProcess> {
    const output = new OutputTail();
    const child = forkTracked(
      EMULATOR_MAIN,
      [
        ...['--host', '127.0.0.1', '--port', '0', '--rate-limit', String(rateLimit)],
        ...['--jitter-ms', String(jitterMs ?? upstream?.jitterMs ?? 0)],
        ...upstreamArgs(upstream),
        ...(recordTimes ? ['--record-times', 'true'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] },
    );
    const lines: string[] = [];
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`emulator: no URL after ${timeoutMs} ms\n${output.text}`));
      }, timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        output.push(chunk);
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          try {
            const parsed = JSON.parse(line) as { url?: string };
            if (typeof parsed.url === 'string') {
              clearTimeout(timer);
              resolve(parsed.url);
            }
          } catch {
            // not a JSON line; kept in `lines` for the error message
          }
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`emulator exited (${signal ?? code}) before printing its URL\n${output.text}`),
        );
      });
    });
    return new EmulatorProcess(child, url, lines, output);
  }

  /** Host and port, for clients that take them apart. */
  get hostPort(): { host: string; port: number } {
    const { hostname, port } = new URL(this.url);
    return { host: hostname, port: Number(port) };
  }

  /**
   * Stops it with SIGTERM and returns the counters it prints (and the counting times, when it
   * records them); SIGKILL after `graceMs`.
   */
  async stop(graceMs = 10_000): Promise<EmulatorStats> {
    await stopChild(this.child, 'SIGTERM', graceMs);
    await exited(this.child);
    let times: CountingTimesReport | undefined;
    for (const line of this.lines) {
      try {
        const parsed = JSON.parse(line) as { stats?: EmulatorStats; times?: CountingTimesReport };
        if (parsed.times) times = parsed.times;
        if (parsed.stats) return times ? { ...parsed.stats, times } : parsed.stats;
      } catch {
        // not JSON
      }
    }
    throw new Error(`emulator: no stats line on SIGTERM\n${this.output.text}`);
  }
}
