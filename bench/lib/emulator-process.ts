import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { exited, forkTracked, OutputTail, stopChild } from './child-processes';

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
    { jitterMs = 0, timeoutMs = 15_000 }: { jitterMs?: number; timeoutMs?: number } = {},
  ): Promise<EmulatorProcess> {
    const output = new OutputTail();
    const child = forkTracked(
      EMULATOR_MAIN,
      [
        ...['--host', '127.0.0.1', '--port', '0', '--rate-limit', String(rateLimit)],
        ...['--jitter-ms', String(jitterMs)],
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

  /** Stops it with SIGTERM and returns the counters it prints; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<EmulatorStats> {
    await stopChild(this.child, 'SIGTERM', graceMs);
    await exited(this.child);
    for (const line of this.lines) {
      try {
        const parsed = JSON.parse(line) as { stats?: EmulatorStats };
        if (parsed.stats) return parsed.stats;
      } catch {
        // not JSON
      }
    }
    throw new Error(`emulator: no stats line on SIGTERM\n${this.output.text}`);
  }
}
