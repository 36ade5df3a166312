/**
 * `npm run bench:inbound`: signed event callbacks through the demo app (`dist/src/main.js`,
 * `POST /v1/rtc/events`, de-duplication in Redis), against the floor: a bare `node:http` server
 * doing the same verification and the same Redis `SET NX` (inbound-floor.worker.ts). Each target
 * runs in its own process; this process is RTC: it signs every event before the clock starts,
 * then measures
 * 1. throughput: `--total` distinct events, `--concurrency` in flight (closed loop): events/s;
 * 2. latency at a fixed rate: `--rate` events/s for `--seconds` (open loop: each event is sent
 *    at its scheduled time whatever the answers do, and its latency runs from that time, so a
 *    stall counts for every event it delays): p50, p99, max.
 * Every answer must be 200. Targets: the app at least 0.5× the floor's events/s, and its p99 at
 * 1,000 events/s at most 25 ms (issue 19). See bench/README.md.
 */
import { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildRtcCallbackEvent } from '../libs/rtc-messaging/src/testing/inbound/rtc-callback-event';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { forkTracked, installCleanup, OutputTail, stopChild } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { RawHttpLane } from './lib/raw-http-lane';
import { deleteKeys } from './lib/redis-keys';
import {
  fixed,
  formatMarkdownTable,
  formatTable,
  median,
  percentileOfSorted,
  positiveInt,
  readFlags,
} from './lib/stats';

/** The demo app as `nest build` leaves it, and the floor next to this file in bench/dist. */
const APP_MAIN = join(__dirname, '../../../dist/src/main.js');
const FLOOR_MAIN = join(__dirname, 'inbound-floor.worker.js');
const EVENTS_PATH = '/v1/rtc/events';
const SECRET = 'bench-callback-secret';

const flags = readFlags(process.argv.slice(2), {
  total: { env: 'BENCH_INBOUND_TOTAL', default: '20000' },
  concurrency: { env: 'BENCH_INBOUND_CONCURRENCY', default: '64' },
  rate: { env: 'BENCH_INBOUND_RATE', default: '1000' },
  seconds: { env: 'BENCH_INBOUND_SECONDS', default: '10' },
  warmup: { env: 'BENCH_INBOUND_WARMUP', default: '3000' },
  runs: { env: 'BENCH_INBOUND_RUNS', default: '1' },
  redis: { env: 'BENCH_REDIS_URL', default: 'redis://127.0.0.1:6379' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
  // A directory: the app runs with `node --cpu-prof` and writes its profile there when it stops
  // (the floor's goes to its `floor/` subdirectory).
  profile: { env: 'BENCH_INBOUND_PROFILE', default: '' },
});
const total = positiveInt('total', flags.total);
const concurrency = positiveInt('concurrency', flags.concurrency);
const rate = positiveInt('rate', flags.rate);
const seconds = positiveInt('seconds', flags.seconds);
const warmup = positiveInt('warmup', flags.warmup, 0);
const runs = positiveInt('runs', flags.runs);

type TargetName = 'app' | 'floor';

interface Row {
  readonly target: TargetName;
  readonly run: string;
  readonly eventsPerSecond: number;
  /** The target process's CPU time (user + system) per event of the throughput phase, in µs. */
  readonly cpuUsPerEvent: number;
  /** The app only: `GET /health/live` at the same concurrency, requests/s and CPU µs each. */
  readonly probe?: { readonly perSecond: number; readonly cpuUs: number };
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly statuses: string;
}

/** A running target: where to send, and how to stop it. */
interface Target {
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: OutputTail;
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

/**
 * One request: a POST of a signed event to the callback route, or (`body` undefined) a GET of
 * `path`. Resolves its status, and when its answer ended (performance.now()).
 */
function send(
  agent: Agent,
  port: number,
  body: Buffer | undefined,
  path = EVENTS_PATH,
): Promise<{ status: number; end: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body ? 'POST' : 'GET',
        agent,
        headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {},
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, end: performance.now() }));
      },
    );
    // RTC's limit: an answer later than 5 s is a failure; no wait here is unbounded.
    req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
    req.once('error', reject);
    req.end(body);
  });
}

async function waitUntilUp(port: number, path: string, output: OutputTail): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) < 500);
      });
      req.setTimeout(2_000, () => req.destroy());
      req.once('error', () => resolve(false));
      req.end();
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error(`the target on port ${port} did not come up\n${output.text}`);
}

async function startApp(appId: string, emulatorUrl: string): Promise<Target> {
  const port = await freePort();
  const output = new OutputTail(20);
  const child = forkTracked(APP_MAIN, [], {
    execArgv: flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [],
    // The request log is part of the app as deployed, but it goes nowhere here: reading it
    // would cost this process (the load) CPU on the same machine. Errors still show.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
      VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
      RTC_APP_ID: appId,
      RTC_FROM: 'server_bot',
      RTC_ENDPOINT: emulatorUrl,
      API_KEYS: 'bench-key',
      METRICS_ENABLED: 'false',
      REDIS_URL: flags.redis,
      RTC_CALLBACK_SECRET: SECRET,
    },
  });
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  await waitUntilUp(port, '/health/live', output);
  return { port, child, output };
}

async function startFloor(appId: string, keyPrefix: string): Promise<Target> {
  const output = new OutputTail(20);
  const child = forkTracked(
    FLOOR_MAIN,
    [JSON.stringify({ secret: SECRET, appId, redisUrl: flags.redis, keyPrefix })],
    {
      execArgv: flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}/floor`] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const [message] = (await Promise.race([
    once(child, 'message'),
    sleep(15_000).then(() => Promise.reject(new Error(`floor: no port\n${output.text}`))),
  ])) as [{ port: number }];
  return { port: message.port, child, output };
}

/** CPU time (user + system) a process used so far, in µs, from /proc (Linux). */
function cpuTimeUs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux); the
  // command name (field 2) is in parentheses and may hold spaces, so count after its ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Signed events, each with an EventId of this run's: built before any clock starts. */
function signedEvents(appId: string, tag: string, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      JSON.stringify(
        buildRtcCallbackEvent(
          {
            type: 'UserJoinRoom',
            appId,
            eventId: `${tag}-${i}`,
            data: { RoomId: `room_${i % 97}`, UserId: `user_${i}`, Timestamp: Date.now() },
          },
          SECRET,
        ),
      ),
    ),
  );
}

/**
 * Closed loop: `lanes` in flight, each sending its next request when its answer came; `undefined`
 * bodies are GETs of `path`.
 */
async function closedLoop(
  agent: Agent,
  port: number,
  bodies: readonly (Buffer | undefined)[],
  lanes: number,
  path?: string,
) {
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < bodies.length) {
      const { status } = await send(agent, port, bodies[next++], path);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, bodies.length) }, lane));
  return { seconds: (performance.now() - started) / 1_000, statuses };
}

/**
 * The throughput phase's closed loop: `lanes` keep-alive connections of the lean client, each
 * sending its next event when its answer came. (Node's `http.request` cost this process more CPU
 * per request than the floor spends answering one, so it set the floor's pace.)
 */
async function eventsClosedLoop(port: number, bodies: readonly Buffer[], lanes: number) {
  const requests = bodies.map((body) => RawHttpLane.post(EVENTS_PATH, body));
  const connections = await Promise.all(
    Array.from({ length: Math.min(lanes, requests.length) }, () => RawHttpLane.open(port)),
  );
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      connections.map(async (connection) => {
        while (next < requests.length) {
          const status = await connection.send(requests[next++]);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    for (const connection of connections) connection.close();
  }
  return { seconds: (performance.now() - started) / 1_000, statuses };
}

/** Open loop: event i at start + i / rate; latency from that scheduled time to its answer. */
async function openLoop(agent: Agent, port: number, bodies: readonly Buffer[]) {
  const statuses = new Map<number, number>();
  const latencies = new Float64Array(bodies.length);
  const intervalMs = 1_000 / rate;
  const start = performance.now() + 10;
  const sent: Promise<void>[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    // Never early (an event sent before its time would show a latency below zero); a timer
    // wakes at most a millisecond late, which counts against the target: the safe side.
    if (wait > 0) await sleep(wait);
    sent.push(
      send(agent, port, bodies[i]).then(({ status, end }) => {
        latencies[i] = end - due;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
    );
  }
  await Promise.all(sent);
  return { latencies: latencies.sort(), statuses };
}

const describeStatuses = (...maps: Map<number, number>[]): string => {
  const all = new Map<number, number>();
  for (const map of maps) for (const [s, n] of map) all.set(s, (all.get(s) ?? 0) + n);
  return [...all].map(([status, n]) => `${status}×${n}`).join(' ');
};

async function runTarget(name: TargetName, run: number, emulatorUrl: string): Promise<Row> {
  // An AppId and EventIds of their own: claims no earlier run (or other user of Redis) shares.
  const tag = `bench-inbound-${Date.now().toString(36)}-${process.pid}-${name}-${run}`;
  const appId = tag;
  const target =
    name === 'app' ? await startApp(appId, emulatorUrl) : await startFloor(appId, `${tag}:`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'fifo' });
  try {
    const warm = signedEvents(appId, `${tag}-warm`, warmup);
    const burst = signedEvents(appId, `${tag}-burst`, total);
    const steady = signedEvents(appId, `${tag}-steady`, rate * seconds);
    await eventsClosedLoop(target.port, warm, Math.min(concurrency, 16));
    await sleep(1_000);
    const cpuBefore = cpuTimeUs(target.child.pid as number);
    const throughput = await eventsClosedLoop(target.port, burst, concurrency);
    const cpuUsPerEvent = (cpuTimeUs(target.child.pid as number) - cpuBefore) / total;
    // The app's cheapest route, for scale: what its HTTP stack costs a request by itself.
    let probe: Row['probe'];
    if (name === 'app') {
      const probeBefore = cpuTimeUs(target.child.pid as number);
      const probes = await closedLoop(
        agent,
        target.port,
        new Array<undefined>(total).fill(undefined),
        concurrency,
        '/health/live',
      );
      probe = {
        perSecond: total / probes.seconds,
        cpuUs: (cpuTimeUs(target.child.pid as number) - probeBefore) / total,
      };
    }
    await sleep(1_000);
    const latency = await openLoop(agent, target.port, steady);
    return {
      target: name,
      run: runs > 1 ? String(run) : '',
      eventsPerSecond: total / throughput.seconds,
      cpuUsPerEvent,
      probe,
      p50: percentileOfSorted(latency.latencies, 50),
      p99: percentileOfSorted(latency.latencies, 99),
      max: latency.latencies[latency.latencies.length - 1],
      statuses: describeStatuses(throughput.statuses, latency.statuses),
    };
  } catch (error) {
    throw new Error(`${name}: ${String(error)}\n${target.output.text}`, { cause: error });
  } finally {
    agent.destroy();
    await stopChild(target.child, 'SIGTERM', 5_000);
    await deleteKeys(flags.redis, `*${tag}*`);
  }
}

function medianOf(each: readonly Row[]): Row {
  return {
    target: each[0].target,
    run: 'median',
    eventsPerSecond: median(each.map((r) => r.eventsPerSecond)),
    cpuUsPerEvent: median(each.map((r) => r.cpuUsPerEvent)),
    p50: median(each.map((r) => r.p50)),
    p99: median(each.map((r) => r.p99)),
    max: median(each.map((r) => r.max)),
    statuses: '',
  };
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  console.log(
    `\nSigned event callbacks, distinct EventIds, de-duplicated in Redis (${flags.redis}): ` +
      `${total.toLocaleString('en-US')} at concurrency ${concurrency} (events/s), then ` +
      `${rate.toLocaleString('en-US')}/s for ${seconds} s (latency); ${warmup} warm-up events first.\n`,
  );
  // The app needs an OpenAPI endpoint to boot; nothing is sent to it.
  const emulator = await EmulatorProcess.start(0);
  const rows: Row[] = [];
  try {
    const byTarget: Record<TargetName, Row[]> = { app: [], floor: [] };
    // Interleaved (floor, app, floor, app, …) so background load spreads over both.
    for (let run = 1; run <= runs; run++) {
      for (const name of ['floor', 'app'] as const) {
        byTarget[name].push(await runTarget(name, run, emulator.url));
      }
    }
    for (const name of ['floor', 'app'] as const) {
      rows.push(...byTarget[name]);
      if (runs > 1) rows.push(medianOf(byTarget[name]));
    }
  } finally {
    await emulator.stop();
  }
  const summary = (name: TargetName) => rows.filter((r) => r.target === name).at(-1) as Row;
  const floor = summary('floor');
  const app = summary('app');
  const header = [
    'target',
    'run',
    'events/s',
    '÷ floor',
    'CPU µs/event',
    'p50 ms',
    'p99 ms',
    'max ms',
    'answers',
  ];
  const cells = rows.map((r) => [
    r.target,
    r.run,
    fixed(r.eventsPerSecond),
    fixed(r.eventsPerSecond / floor.eventsPerSecond, 2),
    fixed(r.cpuUsPerEvent),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    fixed(r.max, 1),
    r.statuses,
  ]);
  console.log(formatTable(header, cells));
  if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(header, cells)}`);
  const ratio = app.eventsPerSecond / floor.eventsPerSecond;
  for (const row of rows) {
    if (row.probe) {
      console.log(
        `app ${row.run || ''}: GET /health/live (no body, no Redis, not logged) ` +
          `${fixed(row.probe.perSecond)}/s at ${fixed(row.probe.cpuUs)} µs CPU each`,
      );
    }
  }
  const notAll200 = rows.some((r) => r.statuses !== '' && !/^200×\d+$/.test(r.statuses));
  console.log(
    `\napp ÷ floor = ${fixed(ratio, 2)} (target ≥ 0.50); app p99 at ${rate}/s = ` +
      `${fixed(app.p99, 2)} ms (target ≤ 25 ms)${notAll200 ? '; some answers were not 200' : ''}`,
  );
  if (ratio < 0.5 || app.p99 > 25 || notAll200) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
