/**
 * `npm run bench:app-budget`: the call budget as a user meets it, through the demo app. The
 * emulator (rate limit on) and each app instance (`dist/src/main.js`, with the environment a
 * deployment gives it) run in their own processes; this process is the HTTP load: `--total`
 * `POST /v1/messages/unicast` at `--concurrency`, spread over the instances. Several instances
 * share their budget through Redis. It reports the window rate the emulator's window saw (see
 * lib/window-rate.ts), as a share of its limit, how soon the burst got going, and every
 * throttled answer and when it came; with `--runs` above 1, each run and their median (a burst
 * of a few seconds on a shared machine varies by a point or two from run to run). The upstream
 * model (where the window counts, processing cost, stalls, jitter) comes from flags. See
 * bench/README.md.
 */
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { forkTracked, installCleanup, OutputTail, stopChild } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { deleteKeys } from './lib/redis-keys';
import {
  fixed,
  formatMarkdownTable,
  formatTable,
  median,
  positiveInt,
  readFlags,
} from './lib/stats';
import { schedSample, schedShare } from './lib/schedstat';
import { describeUpstream, UPSTREAM_FLAGS, upstreamModel } from './lib/upstream-model';
import { describeThrottles, windowFill } from './lib/window-rate';
import { MESSAGE } from './lib/workload';

/** The demo app as `nest build` leaves it. */
const APP_MAIN = join(__dirname, '../../../dist/src/main.js');
const API_KEY = 'bench-key';

const flags = readFlags(process.argv.slice(2), {
  limit: { env: 'BENCH_APP_LIMIT', default: '500' },
  total: { env: 'BENCH_APP_TOTAL', default: '2500' },
  concurrency: { env: 'BENCH_APP_CONCURRENCY', default: '200' },
  instances: { env: 'BENCH_APP_INSTANCES', default: '1,3' },
  warmup: { env: 'BENCH_APP_WARMUP', default: '3000' },
  runs: { env: 'BENCH_APP_RUNS', default: '1' },
  jitter: { env: 'BENCH_APP_JITTER', default: '0' },
  redis: { env: 'BENCH_REDIS_URL', default: 'redis://127.0.0.1:6379' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
  ...UPSTREAM_FLAGS,
});
const limit = positiveInt('limit', flags.limit);
const total = positiveInt('total', flags.total);
const concurrency = positiveInt('concurrency', flags.concurrency);
const warmup = positiveInt('warmup', flags.warmup, 0);
const runs = positiveInt('runs', flags.runs);
const jitterMs = positiveInt('jitter', flags.jitter, 0);
const instanceCounts = flags.instances.split(',').map((n) => positiveInt('instances', n));
const upstream = upstreamModel(flags, jitterMs);

interface Row {
  readonly instances: number;
  readonly run: string;
  readonly accepted: number;
  /** The window rate, calls/s (lib/window-rate.ts). */
  readonly windowRate: number;
  /** (accepted − 1) ÷ first-to-last answer, as the load generator saw them: the older measure. */
  readonly firstToLast: number;
  readonly firstAcceptedMs: number;
  readonly lostInFirstSecond: number;
  readonly throttled: number;
  readonly throttledWhere: string;
  /** `GET /` the emulator received over the whole run (warm-up included). */
  readonly probes: number;
  /** The machine's 1-minute load average as the run ended: the machine is shared. */
  readonly load: number;
  /**
   * During the burst, per second, the CPU the app instances' main threads used and the time they
   * waited for one (ready to run, no CPU free), summed over instances: what limited a slow run.
   */
  readonly appCpu: number;
  readonly appWaiting: number;
  readonly statuses: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One POST through the app: its status and when its answer came (wall clock, ms). */
function post(agent: Agent, port: number, to: string): Promise<{ status: number; at: number }> {
  const body = JSON.stringify({ to, message: MESSAGE });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/messages/unicast',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': API_KEY,
        },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, at: performance.timeOrigin + performance.now() }),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

async function waitUntilUp(port: number, tail: OutputTail): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/health/live' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.once('error', () => resolve(false));
      req.end();
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app on port ${port} did not come up\n${tail.text}`);
}

/** Sends `count` requests over `ports` round robin, `lanes` at a time. */
async function load(agent: Agent, ports: readonly number[], count: number, lanes: number) {
  const answers: Array<{ status: number; at: number }> = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      answers.push(await post(agent, ports[i % ports.length], `user_${i}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane));
  return answers;
}

async function runScenario(instances: number): Promise<Row> {
  const emulator = await EmulatorProcess.start(limit, { upstream, recordTimes: true });
  // An AppId of its own: a budget key (and an emulator window) no earlier run shares.
  const appId = `bench_${Date.now().toString(36)}_${process.pid}`;
  const children: ReturnType<typeof forkTracked>[] = [];
  // FIFO: every idle socket is reused in turn. With Node's default (LIFO) a socket left at the
  // bottom of the pool can idle past the app's 5 s keep-alive timeout while load goes on, and be
  // picked just as the app closes it ("socket hang up", a request that never reached the app).
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'fifo' });
  let stats: Awaited<ReturnType<EmulatorProcess['stop']>> | undefined;
  try {
    const ports: number[] = [];
    const tails: OutputTail[] = [];
    for (let i = 0; i < instances; i++) {
      const port = await freePort();
      const tail = new OutputTail(20);
      const child = forkTracked(APP_MAIN, [], {
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: {
          ...process.env,
          NODE_ENV: 'production',
          PORT: String(port),
          VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
          VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
          RTC_APP_ID: appId,
          RTC_FROM: 'server_bot',
          RTC_ENDPOINT: emulator.url,
          RTC_RATE_LIMIT_PER_SECOND: String(limit),
          API_KEYS: API_KEY,
          METRICS_ENABLED: 'false',
          ...(instances > 1 ? { REDIS_URL: flags.redis } : {}),
        },
      });
      child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
      children.push(child);
      tails.push(tail);
      ports.push(port);
    }
    await Promise.all(ports.map((port, i) => waitUntilUp(port, tails[i])));

    // A service that has been up a while: warm code and connections, a margin measured on the
    // link. Then a pause longer than any window, so the burst starts on an idle budget.
    // A failed request says little by itself: show what the instances printed last.
    const withOutput = (error: unknown) => {
      const output = tails.map((tail, i) => `instance ${i + 1}:\n${tail.text}`).join('\n');
      return Promise.reject(new Error(`${String(error)}\n${output}`, { cause: error }));
    };
    await load(agent, ports, warmup, Math.min(concurrency, 32)).catch(withOutput);
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const schedBefore = children.map((c) => schedSample(c.pid));
    const firstRequestAt = performance.timeOrigin + performance.now();
    const answers = await load(agent, ports, total, concurrency).catch(withOutput);
    const sched = schedShare(
      schedBefore,
      children.map((c) => schedSample(c.pid)),
      performance.timeOrigin + performance.now() - firstRequestAt,
    );
    const ok = answers
      .filter((a) => a.status === 200)
      .map((a) => a.at)
      .sort((a, b) => a - b);
    const spanS = ok.length > 1 ? (ok[ok.length - 1] - ok[0]) / 1_000 : NaN;
    const byStatus = new Map<number, number>();
    for (const { status } of answers) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const final = await emulator.stop();
    stats = final;
    const fill = windowFill(
      final.times?.accepted ?? [],
      final.times?.throttled ?? [],
      firstRequestAt,
      limit,
    );
    return {
      instances,
      run: '',
      accepted: ok.length,
      windowRate: fill.windowRate,
      firstToLast: (ok.length - 1) / spanS,
      firstAcceptedMs: fill.firstAcceptedMs,
      lostInFirstSecond: fill.lostInFirstSecond,
      throttled: final.throttled,
      throttledWhere: describeThrottles(fill.throttledAfterS),
      probes: final.probes,
      load: loadavg()[0],
      appCpu: sched.onCpu,
      appWaiting: sched.waiting,
      statuses: [...byStatus].map(([status, n]) => `${status}×${n}`).join(' '),
    };
  } finally {
    agent.destroy();
    await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 5_000)));
    if (!stats) await emulator.stop().catch(() => undefined);
    if (instances > 1) await deleteKeys(flags.redis, `*${appId}*`);
  }
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  console.log(
    `\n${total.toLocaleString('en-US')} POST /v1/messages/unicast through the demo app at concurrency ` +
      `${concurrency}, after ${warmup} warm-up requests and a 2.5 s pause; emulator limited to ${limit}/s, ` +
      `${describeUpstream(upstream)}; several instances share Redis.\n`,
  );
  const rows: Row[] = [];
  for (const instances of instanceCounts) {
    const each: Row[] = [];
    for (let run = 1; run <= runs; run++) {
      each.push({ ...(await runScenario(instances)), run: runs > 1 ? String(run) : '' });
    }
    rows.push(...each);
    if (runs > 1) rows.push(medianOf(each));
  }
  const header = [
    'instances',
    'run',
    'accepted',
    'window calls/s',
    '÷ limit',
    'first accepted ms',
    'lost in 1st s',
    'first→last ÷ limit',
    '429s (emulator)',
    '429s at',
    'GET / (run)',
    'load 1 min',
    'app CPU / waiting for one',
    'answers',
  ];
  const cells = rows.map((r) => [
    String(r.instances),
    r.run,
    r.accepted.toLocaleString('en-US'),
    fixed(r.windowRate, 1),
    `${fixed((100 * r.windowRate) / limit, 1)}%`,
    fixed(r.firstAcceptedMs, 1),
    `${fixed(100 * r.lostInFirstSecond, 1)}%`,
    `${fixed((100 * r.firstToLast) / limit, 1)}%`,
    String(r.throttled),
    r.throttledWhere,
    String(r.probes),
    fixed(r.load, 1),
    `${fixed(100 * r.appCpu, 0)}% / ${fixed(100 * r.appWaiting, 0)}%`,
    r.statuses,
  ]);
  console.log(formatTable(header, cells));
  if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(header, cells)}`);
  console.log(
    '\nwindow calls/s = limit x 1,000 / mean ms from each call the emulator counted to the limit-th ' +
      'counted after it (its ceiling is the limit). first accepted = first request to first count; ' +
      'lost in 1st s = 1 - counted in the first second / limit. first→last = (200 answers - 1) / ' +
      "their span. 429s = what the emulator throttled (warm-up included), the module's retries " +
      'included; 429s at = seconds after the first accepted call. GET / (run) = probes the ' +
      "emulator received over the run, warm-up included (the module's connection warm-ups). " +
      "app CPU / waiting for one = during the burst, the app instances' main threads' time on a " +
      'CPU and time ready to run with none free (Linux schedstat), per second, summed.',
  );
  if (rows.some((r) => r.throttled > 0)) process.exitCode = 1;
}

/** The median of several runs' figures (each column on its own), throttled answers summed. */
function medianOf(each: readonly Row[]): Row {
  const rates = each.map((r) => r.windowRate).sort((a, b) => a - b);
  const share = (v: number) => `${fixed((100 * v) / limit, 1)}%`;
  return {
    instances: each[0].instances,
    run: 'median',
    accepted: median(each.map((r) => r.accepted)),
    windowRate: median(rates),
    firstToLast: median(each.map((r) => r.firstToLast)),
    firstAcceptedMs: median(each.map((r) => r.firstAcceptedMs)),
    lostInFirstSecond: median(each.map((r) => r.lostInFirstSecond)),
    throttled: each.reduce((sum, r) => sum + r.throttled, 0),
    throttledWhere: `in ${each.filter((r) => r.throttled > 0).length} of ${each.length} runs`,
    probes: median(each.map((r) => r.probes)),
    load: median(each.map((r) => r.load)),
    appCpu: median(each.map((r) => r.appCpu)),
    appWaiting: median(each.map((r) => r.appWaiting)),
    statuses: `window ${share(rates[0])} to ${share(rates[rates.length - 1])}`,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
