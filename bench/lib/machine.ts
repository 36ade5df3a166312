import { availableParallelism, cpus, loadavg } from 'node:os';

/** One line describing where the numbers come from, for the README's results. */
export function describeMachine(): string {
  const model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `Machine: ${availableParallelism()} CPUs (nproc), ${model}; Node ${process.version}; ` +
    `${new Date().toISOString()}; load average ${load}`
  );
}
