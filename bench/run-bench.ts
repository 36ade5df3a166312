/**
 * `npm run bench`: the module against the official SDK and a raw `node:http` floor, each client in
 * its own process, against the emulator in another; then micro-benchmarks of signing and
 * validation. See bench/README.md.
 */
import { join } from 'node:path';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { installCleanup, runWorker } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import {
  fixed,
  formatMarkdownTable,
  formatTable,
  median,
  positiveInt,
  readFlags,
} from './lib/stats';
import { CLIENT_KINDS, ClientInput, ClientKind } from './lib/workload';
import type { ModuleClientInput } from './clients/module-client';
import type { MicroInput, MicroResult } from './micro.worker';
import type { ClientRunResult } from './unicast-client.worker';

const CLIENT_WORKER = join(__dirname, 'unicast-client.worker.js');
const MICRO_WORKER = join(__dirname, 'micro.worker.js');

/** A client as measured: the module runs a second time with an OpenTelemetry SDK registered. */
type Measured = ClientKind | 'module-otel';

const LABELS: Record<Measured, string> = {
  module: '(a) module: UnicastService',
  'module-otel': '(a) module, OTel SDK + tracing',
  sdk: '(b) SDK: @volcengine/openapi',
  raw: '(c) raw: node:http + V4Signer',
};

const flags = readFlags(process.argv.slice(2), {
  calls: { env: 'BENCH_CALLS', default: '20000' },
  concurrency: { env: 'BENCH_CONCURRENCY', default: '64' },
  runs: { env: 'BENCH_RUNS', default: '3' },
  warmup: { env: 'BENCH_WARMUP', default: '1000' },
  clients: { env: 'BENCH_CLIENTS', default: CLIENT_KINDS.join(',') },
  'preflight-calls': { env: 'BENCH_PREFLIGHT_CALLS', default: '200' },
  'client-timeout-ms': { env: 'BENCH_CLIENT_TIMEOUT_MS', default: '300000' },
  'micro-repeats': { env: 'BENCH_MICRO_REPEATS', default: '7' },
  'micro-scale': { env: 'BENCH_MICRO_SCALE', default: '1' },
  micro: { env: 'BENCH_MICRO', default: 'true' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
  otel: { env: 'BENCH_OTEL', default: 'true' },
});
const calls = positiveInt('calls', flags.calls);
const concurrency = positiveInt('concurrency', flags.concurrency);
const runs = positiveInt('runs', flags.runs);
const warmup = positiveInt('warmup', flags.warmup, 0);
const preflightCalls = positiveInt('preflight-calls', flags['preflight-calls'], 0);
const clientTimeoutMs = positiveInt('client-timeout-ms', flags['client-timeout-ms']);
const microRepeats = positiveInt('micro-repeats', flags['micro-repeats']);
const microScale = Number(flags['micro-scale']);
const clients = flags.clients.split(',').map((c) => c.trim()) as ClientKind[];
for (const c of clients) {
  if (!CLIENT_KINDS.includes(c)) throw new TypeError(`--clients: unknown client "${c}"`);
}
const markdown = flags.markdown === 'true';
/** Also measure the module with a registered OpenTelemetry SDK (tracing on), as `module-otel`. */
const measured: Measured[] =
  flags.otel === 'true' && clients.includes('module')
    ? clients.flatMap((c): Measured[] => (c === 'module' ? ['module', 'module-otel'] : [c]))
    : clients;

/** Problems that make the run invalid; printed at the end, and the exit code is 1. */
const failures: string[] = [];

function clientInput(
  kind: Measured,
  url: string,
  n: number,
  warm: number,
): ClientInput | ModuleClientInput {
  const client = kind === 'module-otel' ? 'module' : kind;
  return {
    client,
    ...(kind === 'module-otel' ? { telemetry: true } : {}),
    url,
    credentials: { ...EMULATOR_DEMO_CREDENTIALS },
    calls: n,
    warmup: warm,
    concurrency,
    deadlineMs: Math.max(clientTimeoutMs - 10_000, Math.floor(clientTimeoutMs * 0.8)),
  };
}

/**
 * Each client alone against a fresh emulator, so that the emulator's own counters prove it
 * accepted every request of that client (signature, body, everything): received = accepted.
 */
async function preflight(): Promise<void> {
  if (preflightCalls === 0) return;
  console.log(`\nPreflight: ${preflightCalls} calls per client, each on a fresh emulator`);
  for (const client of clients) {
    const emulator = await EmulatorProcess.start(0);
    let result: ClientRunResult | undefined;
    try {
      ({ result } = await runWorker<ClientRunResult>(
        CLIENT_WORKER,
        clientInput(client, emulator.url, preflightCalls, 0),
        { timeoutMs: clientTimeoutMs, label: `${client} preflight` },
      ));
    } finally {
      const stats = await emulator.stop();
      const rejected = stats.received - stats.accepted;
      const ok = stats.received === preflightCalls && rejected === 0 && result?.errors === 0;
      console.log(
        `  ${LABELS[client].padEnd(32)} emulator received ${stats.received}, accepted ${stats.accepted}, ` +
          `rejected ${rejected}; client errors ${result?.errors ?? 'n/a'}  ${ok ? 'OK' : 'FAILED'}`,
      );
      if (!ok) {
        failures.push(
          `${client} preflight: received ${stats.received}, accepted ${stats.accepted}` +
            `${result?.firstError ? `; first error: ${result.firstError}` : ''}`,
        );
      }
    }
  }
}

async function measureClients(): Promise<Map<Measured, ClientRunResult[]>> {
  const results = new Map<Measured, ClientRunResult[]>(measured.map((c) => [c, []]));
  const emulator = await EmulatorProcess.start(0);
  console.log(
    `\nMeasuring: ${calls.toLocaleString('en-US')} calls per run after ${warmup.toLocaleString('en-US')} ` +
      `warm-up calls, concurrency ${concurrency}, ${runs} runs per client interleaved; emulator ${emulator.url}`,
  );
  let expected = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      for (const client of measured) {
        const { result, output } = await runWorker<ClientRunResult>(
          CLIENT_WORKER,
          clientInput(client, emulator.url, calls, warmup),
          { timeoutMs: clientTimeoutMs, label: `${client} run ${run}` },
        );
        // Retries and other warnings are logged, not thrown: show that there were some.
        if (output.total > 0) {
          console.log(
            `  run ${run} ${client}: ${output.total} log lines, the last ones:\n${output.text}`,
          );
        }
        expected += calls + warmup;
        results.get(client)!.push(result);
        console.log(
          `  run ${run} ${client.padEnd(11)} ${fixed(result.callsPerSecond).padStart(7)} calls/s  ` +
            `p50 ${fixed(result.p50Ms, 2)} ms  p99 ${fixed(result.p99Ms, 2)} ms  ` +
            `${fixed(result.cpuUsPerCall)} µs CPU/call  ${fixed(result.maxRssMb)} MB  ` +
            `errors ${result.errors}${result.firstError ? ` (${result.firstError})` : ''}`,
        );
        if (result.errors > 0) {
          failures.push(
            `${client} run ${run}: ${result.errors} errors, first: ${result.firstError}`,
          );
        }
      }
    }
  } finally {
    const stats = await emulator.stop();
    const rejected = stats.received - stats.accepted;
    console.log(
      `  emulator: received ${stats.received}, accepted ${stats.accepted}, rejected ${rejected} ` +
        `(expected ${expected} received)`,
    );
    if (rejected !== 0 || stats.received !== expected) {
      failures.push(
        `emulator: received ${stats.received} (expected ${expected}), rejected ${rejected}`,
      );
    }
  }
  return results;
}

interface Summary {
  client: Measured;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerCall: number;
  maxRssMb: number;
}

function summarize(results: Map<Measured, ClientRunResult[]>): Summary[] {
  return [...results].map(([client, list]) => ({
    client,
    callsPerSecond: median(list.map((r) => r.callsPerSecond)),
    p50Ms: median(list.map((r) => r.p50Ms)),
    p99Ms: median(list.map((r) => r.p99Ms)),
    cpuUsPerCall: median(list.map((r) => r.cpuUsPerCall)),
    maxRssMb: median(list.map((r) => r.maxRssMb)),
  }));
}

function printClientTable(summaries: Summary[]): void {
  const raw = summaries.find((s) => s.client === 'raw');
  const header = [
    'client',
    'calls/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/call',
    'peak RSS MB',
    'calls/s ÷ (c)',
    'CPU ÷ (c)',
  ];
  const rows = summaries.map((s) => [
    LABELS[s.client],
    fixed(s.callsPerSecond),
    fixed(s.p50Ms, 2),
    fixed(s.p99Ms, 2),
    fixed(s.cpuUsPerCall),
    fixed(s.maxRssMb),
    raw ? `${fixed(s.callsPerSecond / raw.callsPerSecond, 2)}x` : 'n/a',
    raw ? `${fixed(s.cpuUsPerCall / raw.cpuUsPerCall, 2)}x` : 'n/a',
  ]);
  console.log(`\nMedian of ${runs} runs per client:\n`);
  console.log(formatTable(header, rows));
  if (markdown) console.log(`\n${formatMarkdownTable(header, rows)}`);
}

function checkTargets(summaries: Summary[]): void {
  const get = (c: Measured) => summaries.find((s) => s.client === c);
  const [module, sdk, raw] = [get('module'), get('sdk'), get('raw')];
  if (!module || !sdk || !raw) {
    console.log('\nTargets: need all three clients to check them.');
    return;
  }
  // The standing target (issue 12): at most half the official SDK's CPU per call. The earlier
  // throughput targets (2x the SDK, 0.75x a raw node:http client, under 200 µs) are retired: the
  // upstream's 500 calls/s per AppId binds long before client CPU does. Their ratios stay in the
  // table above for comparison.
  const targets: [string, boolean, string][] = [
    [
      "CPU/call <= 0.5x the SDK's",
      module.cpuUsPerCall <= 0.5 * sdk.cpuUsPerCall,
      `${fixed(module.cpuUsPerCall / sdk.cpuUsPerCall, 2)}x`,
    ],
    [
      "p99 <= the SDK's",
      module.p99Ms <= sdk.p99Ms,
      `${fixed(module.p99Ms, 2)} ms vs ${fixed(sdk.p99Ms, 2)} ms`,
    ],
  ];
  console.log('\nTargets for the module (a):');
  for (const [name, met, actual] of targets) {
    console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${name.padEnd(32)} ${actual}`);
  }
  const traced = get('module-otel');
  if (traced) {
    console.log(
      `  With an OpenTelemetry SDK registered (tracing on): ${fixed(traced.cpuUsPerCall)} µs ` +
        `CPU/call, ${fixed(traced.cpuUsPerCall / sdk.cpuUsPerCall, 2)}x the SDK's, ` +
        `+${fixed(traced.cpuUsPerCall - module.cpuUsPerCall)} µs over the module without one`,
    );
  }
  if (targets.some(([, met]) => !met)) {
    console.log(
      '  A target is missed: `npm run bench:profile` shows where the module spends its CPU.',
    );
  }
}

async function micro(): Promise<void> {
  const input: MicroInput = { repeats: microRepeats, scale: microScale };
  const { result } = await runWorker<MicroResult[]>(MICRO_WORKER, input, {
    timeoutMs: clientTimeoutMs,
    label: 'micro-benchmarks',
  });
  const header = [
    'operation (module alone, in-process)',
    'µs/op (median)',
    'min',
    'max',
    'iterations',
  ];
  const rows = result.map((r) => [
    r.name,
    fixed(r.medianUs, 2),
    fixed(r.minUs, 2),
    fixed(r.maxUs, 2),
    `${microRepeats} x ${r.iterations.toLocaleString('en-US')}`,
  ]);
  console.log(`\nMicro-benchmarks, median of ${microRepeats} repeats:\n`);
  console.log(formatTable(header, rows));
  if (markdown) console.log(`\n${formatMarkdownTable(header, rows)}`);
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  await preflight();
  const results = await measureClients();
  const summaries = summarize(results);
  printClientTable(summaries);
  checkTargets(summaries);
  if (flags.micro !== 'false') await micro();
  if (failures.length > 0) {
    console.error(`\nFAILED: the run is not valid:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(`\nbench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
