/**
 * Preloaded into a process under test (`node --expose-gc --require loop-probe.js app.js`): measures
 * how long its event loop is held (`monitorEventLoopDelay`, 10 ms resolution) and how its memory
 * grows (sampled every 10 ms), between a `probe:reset` and a `probe:report` sent over the IPC
 * channel. The answer, `{ type: 'probe:report', ... }`, goes back the same way. Node built-ins only:
 * it runs before the app, uncompiled by anything but tsc.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What the probe reports, in ms and MB. */
export interface LoopProbeReport {
  readonly type: 'probe:report';
  /** The longest the event loop was held past its 10 ms timer, in ms. */
  readonly maxDelayMs: number;
  readonly p99DelayMs: number;
  /** RSS and heap after a full GC at reset, and their peaks since, in MB. */
  readonly baselineRssMb: number;
  readonly peakRssMb: number;
  readonly baselineHeapMb: number;
  readonly peakHeapMb: number;
  /** CPU time the process used, user plus system, in ms. */
  readonly cpuMs: number;
  /**
   * The most CPU time the process used between two 10 ms ticks, in ms: the longest stretch of work
   * the loop did before its timer could run, whatever the other processes of the machine do to
   * when it runs (late timers on a busy machine are not work). All threads count, so it is an
   * upper bound for the main thread's.
   */
  readonly maxCpuBetweenTicksMs: number;
}

if (typeof process.send === 'function') {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const mb = (bytes: number) => bytes / 1024 / 1024;
  let baseline = process.memoryUsage();
  let cpuAtReset = process.cpuUsage();
  let peakRss = 0;
  let peakHeap = 0;
  let lastCpu = process.cpuUsage();
  let maxCpuBetweenTicks = 0;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
    const cpu = process.cpuUsage();
    const usedMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1_000;
    maxCpuBetweenTicks = Math.max(maxCpuBetweenTicks, usedMs);
    lastCpu = cpu;
  };
  const sampler = setInterval(sample, 10);
  // The probe must never keep the app alive, nor be what its event loop waits on.
  sampler.unref();

  process.on('message', (message: unknown) => {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === 'probe:reset') {
      (globalThis as { gc?: () => void }).gc?.();
      baseline = process.memoryUsage();
      cpuAtReset = process.cpuUsage();
      lastCpu = cpuAtReset;
      maxCpuBetweenTicks = 0;
      peakRss = baseline.rss;
      peakHeap = baseline.heapUsed;
      histogram.reset();
      histogram.enable();
      process.send?.({ type: 'probe:ready' });
    } else if (type === 'probe:report') {
      sample();
      histogram.disable();
      const cpu = process.cpuUsage(cpuAtReset);
      const report: LoopProbeReport = {
        type: 'probe:report',
        maxDelayMs: histogram.max / 1e6,
        p99DelayMs: histogram.percentile(99) / 1e6,
        baselineRssMb: mb(baseline.rss),
        peakRssMb: mb(peakRss),
        baselineHeapMb: mb(baseline.heapUsed),
        peakHeapMb: mb(peakHeap),
        cpuMs: (cpu.user + cpu.system) / 1_000,
        maxCpuBetweenTicksMs: maxCpuBetweenTicks,
      };
      process.send?.(report);
    }
  });
  // After the listener, which refs the channel: the app still exits on its own.
  process.channel?.unref();
}
