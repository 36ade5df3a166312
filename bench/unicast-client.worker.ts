/**
 * One client in its own process: warms up, then sends `calls` SendUnicast calls at a fixed
 * concurrency and answers the orchestrator with one IPC message (a {@link ClientRunResult}).
 * Started by run-bench.ts with the input as JSON in argv[2]; never run by hand.
 */
import { percentileOfSorted } from './lib/stats';
import type { BenchClient, ClientInput } from './lib/workload';

/** What a client run measured. */
export interface ClientRunResult {
  readonly client: string;
  readonly calls: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly wallMs: number;
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** process.cpuUsage() delta over the measured calls, user + system, per call. */
  readonly cpuUsPerCall: number;
  /** process.resourceUsage().maxRSS, the peak over the process's life. */
  readonly maxRssMb: number;
  /**
   * The measured window on the monotonic clock, in µs (`process.hrtime`), the clock V8's CPU
   * profiler stamps its samples with: a profile can be cut down to the measured calls.
   */
  readonly windowUs: readonly [number, number];
}

async function loadClient(input: ClientInput): Promise<BenchClient> {
  // Loaded lazily so that each process holds only its own client's code (peak RSS is compared).
  switch (input.client) {
    case 'module':
      return (await import('./clients/module-client.js')).createClient(input);
    case 'sdk':
      return (await import('./clients/sdk-client.js')).createClient(input);
    case 'raw':
      return (await import('./clients/raw-client.js')).createClient(input);
  }
}

/**
 * Sends `count` calls, `concurrency` at a time, each lane starting its next call as soon as its
 * previous one settles. Records each call's latency into `latencies` when given.
 */
async function drive(
  client: BenchClient,
  count: number,
  concurrency: number,
  deadline: number,
  latencies?: Float64Array,
): Promise<{ errors: number; firstError?: string }> {
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      if (performance.now() > deadline) {
        errors += 1;
        firstError ??= 'deadline passed before every call was sent';
        continue;
      }
      const started = performance.now();
      try {
        await client.send();
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (latencies) latencies[i] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { errors, firstError };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as ClientInput;
  const deadline = performance.now() + input.deadlineMs;
  const client = await loadClient(input);

  const warm = await drive(client, input.warmup, input.concurrency, deadline);
  const latencies = new Float64Array(input.calls);
  const windowStart = Number(process.hrtime.bigint() / 1000n);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const run = await drive(client, input.calls, input.concurrency, deadline, latencies);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const windowEnd = Number(process.hrtime.bigint() / 1000n);
  await client.close();

  latencies.sort();
  const result: ClientRunResult = {
    client: input.client,
    calls: input.calls,
    errors: warm.errors + run.errors,
    firstError: warm.firstError ?? run.firstError,
    wallMs,
    callsPerSecond: input.calls / (wallMs / 1000),
    p50Ms: percentileOfSorted(latencies, 50),
    p99Ms: percentileOfSorted(latencies, 99),
    cpuUsPerCall: (cpu.user + cpu.system) / input.calls,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    windowUs: [windowStart, windowEnd],
  };
  process.send!(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`client worker: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
