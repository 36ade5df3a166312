/**
 * `npm run bench:budget`: how close the module's call budget gets to the upstream's limit without
 * being throttled, for one instance and for several sharing Redis. The emulator runs in its own
 * process with its rate limit on; each instance is its own process. See bench/README.md.
 */
import { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import type { BudgetInput, BudgetRunResult } from './budget-client.worker';
import { forkTracked, installCleanup, OutputTail, stopChild } from './lib/child-processes';
import { EmulatorProcess, EmulatorStats } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { deleteKeys } from './lib/redis-keys';
import { fixed, formatMarkdownTable, formatTable, positiveInt, readFlags } from './lib/stats';
import { describeUpstream, UPSTREAM_FLAGS, upstreamModel } from './lib/upstream-model';
import { describeThrottles, windowFill } from './lib/window-rate';

const WORKER = join(__dirname, 'budget-client.worker.js');

const flags = readFlags(process.argv.slice(2), {
  limit: { env: 'BENCH_BUDGET_LIMIT', default: '500' },
  total: { env: 'BENCH_BUDGET_TOTAL', default: '5000' },
  concurrency: { env: 'BENCH_BUDGET_CONCURRENCY', default: '64' },
  warmup: { env: 'BENCH_BUDGET_WARMUP', default: '200' },
  scenarios: { env: 'BENCH_BUDGET_SCENARIOS', default: 'memory-1,redis-1,redis-3' },
  redis: { env: 'BENCH_REDIS_URL', default: 'redis://127.0.0.1:6379' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
  timeline: { env: 'BENCH_BUDGET_TIMELINE', default: 'true' },
  jitter: { env: 'BENCH_BUDGET_JITTER', default: '0' },
  pause: { env: 'BENCH_BUDGET_PAUSE_MS', default: '1500' },
  ...UPSTREAM_FLAGS,
});
const limit = positiveInt('limit', flags.limit);
const total = positiveInt('total', flags.total);
const concurrency = positiveInt('concurrency', flags.concurrency);
const warmup = positiveInt('warmup', flags.warmup, 0);
const jitterMs = positiveInt('jitter', flags.jitter, 0);
const pauseMs = positiveInt('pause', flags.pause, 0);
const upstream = upstreamModel(flags, jitterMs);
const runId = `rtc-bench:${Date.now().toString(36)}-${process.pid}`;

interface Scenario {
  readonly name: string;
  readonly store: 'memory' | 'redis';
  readonly instances: number;
}

function parseScenario(text: string): Scenario {
  const match = /^(memory|redis)-(\d+)$/.exec(text.trim());
  if (!match) throw new TypeError(`--scenarios: "${text}" is not memory-N or redis-N`);
  const instances = positiveInt('scenarios', match[2]);
  if (match[1] === 'memory' && instances !== 1) {
    throw new TypeError('--scenarios: an in-memory budget is per process; use memory-1');
  }
  return { name: text.trim(), store: match[1] as Scenario['store'], instances };
}
const scenarios = flags.scenarios.split(',').map(parseScenario);

interface Outcome {
  readonly scenario: Scenario;
  readonly results: BudgetRunResult[];
  readonly stats: EmulatorStats;
  readonly logLines: number;
  readonly firstLogLines: string;
}

/** Splits `n` into `parts` shares differing by at most one. */
const shares = (n: number, parts: number) =>
  Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));

/** Boots every instance, starts them together, and collects what each one measured. */
async function runScenario(scenario: Scenario): Promise<Outcome> {
  const emulator = await EmulatorProcess.start(limit, { upstream, recordTimes: true });
  // Time the burst needs at the limit, plus room for boots and a slow machine.
  const burstMs = (1000 * total) / limit;
  const deadlineMs = Math.round(3 * burstMs + 30_000);
  const children: ChildProcess[] = [];
  const tails: OutputTail[] = [];
  let stats: EmulatorStats | undefined;
  try {
    const keyPrefix = `${runId}:${scenario.name}:`;
    const ready: Promise<void>[] = [];
    const done: Promise<BudgetRunResult>[] = [];
    for (const [instance, sends] of shares(total, scenario.instances).entries()) {
      const input: BudgetInput = {
        instance,
        url: emulator.url,
        credentials: { ...EMULATOR_DEMO_CREDENTIALS },
        sends,
        warmup,
        concurrency,
        pauseMs,
        perSecond: limit,
        redis: scenario.store === 'redis' ? { url: flags.redis, keyPrefix } : undefined,
        maxWaitMs: deadlineMs,
        maxQueued: 1_000_000,
        deadlineMs,
      };
      const tail = new OutputTail(5);
      const child = forkTracked(WORKER, [JSON.stringify(input)], {
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
      children.push(child);
      tails.push(tail);
      const exitedEarly = (what: string) =>
        new Error(`${scenario.name} instance ${instance}: exited before ${what}\n${tail.text}`);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', () => reject(exitedEarly('it was ready')));
        }),
      );
      done.push(
        new Promise((resolve, reject) => {
          let result: BudgetRunResult | undefined;
          child.on('message', (m: { ready: true } | BudgetRunResult) => {
            if (!('ready' in m)) result = m;
          });
          child.once('exit', (code) =>
            result && code === 0 ? resolve(result) : reject(exitedEarly('it answered')),
          );
        }),
      );
    }
    await withTimeout(Promise.all(ready), 60_000, `${scenario.name}: instances did not boot`);
    for (const child of children) child.send('go');
    const results = await withTimeout(
      Promise.all(done),
      deadlineMs + 30_000,
      `${scenario.name}: instances did not finish`,
    );
    stats = await emulator.stop();
    return {
      scenario,
      results,
      stats,
      logLines: tails.reduce((n, t) => n + t.total, 0),
      firstLogLines: tails
        .map((t) => t.text)
        .filter(Boolean)
        .join('\n'),
    };
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 'SIGKILL', 1_000)));
    if (!stats) await emulator.stop().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Acceptances per whole second since the first one (sorted times, ms). */
function perSecondCounts(times: readonly number[]): number[] {
  const counts: number[] = [];
  for (const t of times) {
    const second = Math.floor((t - times[0]) / 1000);
    while (counts.length <= second) counts.push(0);
    counts[second]++;
  }
  return counts;
}

/** Most acceptances within any one-second window (sorted times, ms). */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

async function checkRedis(): Promise<void> {
  const redis = new Redis(flags.redis, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis at ${flags.redis} does not answer (${(error as Error).message}). Start one with\n` +
        '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    );
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  if (scenarios.some((s) => s.store === 'redis')) await checkRedis();
  console.log(
    `\nBurst of ${total.toLocaleString('en-US')} SendUnicast calls against an emulator limited to ${limit}/s ` +
      `(sliding 1 s window, per AppId; ${describeUpstream(upstream)}); ${concurrency} concurrent calls per instance, each instance warmed ` +
      `up first with ${warmup} calls to another AppId and a ${pauseMs} ms pause; Redis key prefix ${runId}:`,
  );

  const outcomes: Outcome[] = [];
  const failures: string[] = [];
  try {
    for (const scenario of scenarios) {
      const outcome = await runScenario(scenario);
      outcomes.push(outcome);
      const { stats, results } = outcome;
      const clientAccepted = results.reduce((n, r) => n + r.accepted, 0);
      console.log(
        `  ${scenario.name}: emulator received ${stats.received} (${warmup * scenario.instances} of them ` +
          `warm-up), accepted ${stats.accepted}, ` +
          `throttled ${stats.throttled}, GET / probes ${stats.probes}; clients saw ${clientAccepted} accepted; ` +
          `${outcome.logLines} log lines from the instances`,
      );
      if (outcome.logLines > 0) console.log(indent(outcome.firstLogLines));
      for (const r of results) {
        if (r.otherErrors > 0) {
          failures.push(
            `${scenario.name} instance ${r.instance}: ${r.otherErrors} errors, first: ${r.firstError}`,
          );
        }
      }
    }
  } finally {
    if (scenarios.some((s) => s.store === 'redis'))
      await deleteKeys(flags.redis, `${runId}:*`).catch(() => undefined);
  }

  const header = [
    'scenario',
    'sends',
    'accepted',
    'span s',
    'calls/s',
    '÷ limit',
    'peak in 1 s',
    'window calls/s',
    'window ÷ limit',
    'first accepted ms',
    'lost in 1st s',
    '429s (emulator)',
    '429s at',
    'client errors t/b/o',
    'no 429s',
    'window >= 97%',
  ];
  const rows = outcomes.map(({ scenario, results, stats }) => {
    const fill = windowFill(
      stats.times?.accepted ?? [],
      stats.times?.throttled ?? [],
      Math.min(...results.map((r) => r.startedAt)),
      limit,
    );
    const times = results.flatMap((r) => r.acceptedAt).sort((a, b) => a - b);
    const spanMs = times.length > 1 ? times[times.length - 1] - times[0] : Number.NaN;
    const rate = (times.length - 1) / (spanMs / 1000);
    const throttled = stats.throttled;
    const sum = (f: (r: BudgetRunResult) => number) => results.reduce((n, r) => n + f(r), 0);
    return [
      `${scenario.instances} x ${scenario.store}`,
      total.toLocaleString('en-US'),
      times.length.toLocaleString('en-US'),
      fixed(spanMs / 1000, 2),
      fixed(rate, 1),
      `${fixed((100 * rate) / limit, 1)}%`,
      String(peakPerSecond(times)),
      fixed(fill.windowRate, 1),
      `${fixed((100 * fill.windowRate) / limit, 1)}%`,
      fixed(fill.firstAcceptedMs, 1),
      `${fixed(100 * fill.lostInFirstSecond, 1)}%`,
      String(throttled),
      describeThrottles(fill.throttledAfterS),
      `${sum((r) => r.throttledUpstream)}/${sum((r) => r.budgetRefused)}/${sum((r) => r.otherErrors)}`,
      throttled === 0 ? 'MET' : 'MISSED',
      fill.windowRate >= 0.97 * limit ? 'MET' : 'MISSED',
    ];
  });
  if (flags.timeline === 'true') {
    console.log('\nAcceptances per second since the first (the last second is partial):');
    for (const { scenario, results } of outcomes) {
      const times = results.flatMap((r) => r.acceptedAt).sort((a, b) => a - b);
      const started = Math.min(...results.map((r) => r.startedAt));
      console.log(
        `  ${scenario.name.padEnd(9)} first after ${fixed(times[0] - started)} ms: ` +
          perSecondCounts(times).join(' '),
      );
    }
  }
  console.log(`\nCall budget at ${limit}/s:\n`);
  console.log(formatTable(header, rows));
  if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(header, rows)}`);
  console.log(
    '\ncalls/s = (accepted - 1) / span, span = first to last acceptance as the clients saw the answers ' +
      '(wall clock, merged over instances). window calls/s = limit x 1,000 / mean ms from each call ' +
      'the emulator counted to the limit-th counted after it (ceiling: the limit); first accepted = ' +
      "from 'go' to the first count; lost in 1st s = 1 - counted in the first second / limit. " +
      '429s = calls the emulator throttled (429s at: seconds after the first accepted). client errors: ' +
      'throttled by the upstream after retries / refused by the local budget / other.',
  );
  if (failures.length > 0) {
    console.error(`\nFAILED:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');

main().catch((error: unknown) => {
  console.error(`\nbench:budget failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
