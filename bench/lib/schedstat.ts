import { readFileSync } from 'node:fs';

/** CPU time and run-queue wait of one process's main thread, in ms (Linux `schedstat`). */
export interface SchedSample {
  readonly onCpuMs: number;
  /** Time it was ready to run but waited for a CPU: what a shared machine costs it. */
  readonly waitingMs: number;
}

/**
 * Reads `/proc/<pid>/schedstat` (nanoseconds on a CPU, nanoseconds waiting on a run queue, time
 * slices); `undefined` where the file does not exist (not Linux, or the process is gone). It tells
 * an event loop that had nothing to do from one that was starved of a CPU.
 */
export function schedSample(pid: number | undefined): SchedSample | undefined {
  if (pid === undefined) return undefined;
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
    return { onCpuMs: Number(onCpu) / 1e6, waitingMs: Number(waiting) / 1e6 };
  } catch {
    return undefined;
  }
}

/** Per second of `wallMs`, the CPU and run-queue wait between two samples, summed over processes. */
export function schedShare(
  before: readonly (SchedSample | undefined)[],
  after: readonly (SchedSample | undefined)[],
  wallMs: number,
): { onCpu: number; waiting: number } {
  let onCpu = 0;
  let waiting = 0;
  before.forEach((b, i) => {
    const a = after[i];
    if (!a || !b) return;
    onCpu += a.onCpuMs - b.onCpuMs;
    waiting += a.waitingMs - b.waitingMs;
  });
  return { onCpu: onCpu / wallMs, waiting: waiting / wallMs };
}
