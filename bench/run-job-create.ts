/**
 * `npm run bench:job-create`: what creating one fan-out job costs the demo app's process, the one
 * that also runs the in-process worker. A 1,000,000-recipient job is posted to `/v1/fan-outs` as
 * `application/x-ndjson` (read as a stream, written to Redis in chunks), and a 10,000-recipient
 * job as JSON (its cap); for each, the app's longest event-loop stall and its memory above the
 * level before (RSS and heap, after a full GC), measured inside the app by a preloaded probe.
 * The targets (issue 18, item 9): under 100 MB extra, never more than 50 ms blocked. See
 * bench/README.md.
 */
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { forkTracked, installCleanup, OutputTail, stopChild } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import type { LoopProbeReport } from './lib/loop-probe';
import { describeMachine } from './lib/machine';
import { ndjsonJobBody, postStream } from './lib/ndjson-job';
import { deleteKeys } from './lib/redis-keys';
import { fixed, formatMarkdownTable, formatTable, positiveInt, readFlags } from './lib/stats';

/** The demo app as `npm run build` compiles it (bench/dist/bench/ -> the repository root). */
const MAIN = join(__dirname, '..', '..', '..', 'dist', 'src', 'main.js');
const PROBE = join(__dirname, 'lib', 'loop-probe.js');
const API_KEY = 'bench-job-create-key';

/** Issue 18, item 9: what a 1,000,000-recipient creation may cost the app. */
const MAX_EXTRA_MB = 100;
const MAX_BLOCKED_MS = 50;

const flags = readFlags(process.argv.slice(2), {
  recipients: { env: 'BENCH_JOB_CREATE_RECIPIENTS', default: '1000000' },
  jsonRecipients: { env: 'BENCH_JOB_CREATE_JSON_RECIPIENTS', default: '10000' },
  redis: { env: 'REDIS_URL', default: 'redis://127.0.0.1:6379' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
});
const recipients = positiveInt('recipients', flags.recipients);
const jsonRecipients = positiveInt('jsonRecipients', flags.jsonRecipients);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The demo app with the probe preloaded, no worker (creation alone is measured). */
async function startApp(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const output = new OutputTail();
  const child = forkTracked(MAIN, [], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), WORKER: 'false' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: ['--expose-gc', '--require', PROBE],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const url = `http://127.0.0.1:${port}`;
  // Ready when it answers its liveness probe (its logs are warnings only); a minute at most.
  for (const started = Date.now(); ; await sleep(100)) {
    if (child.exitCode !== null)
      throw new Error(`the app exited (${child.exitCode})\n${output.text}`);
    if (Date.now() - started > 60_000) throw new Error(`the app did not start\n${output.text}`);
    const live = await fetch(`${url}/health/live`).catch(() => undefined);
    if (live?.ok) break;
  }
  return { child, url };
}

/** Sends `message` to the probe and resolves its answer of `type`. */
function ask<T>(child: ChildProcess, message: object, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the probe did not answer ${type}`)), 30_000);
    const onMessage = (answer: unknown) => {
      if ((answer as { type?: unknown }).type !== type) return;
      child.off('message', onMessage);
      clearTimeout(timer);
      resolve(answer as T);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

interface Measured {
  readonly format: string;
  readonly recipients: number;
  readonly status: number;
  readonly seconds: number;
  readonly probe: LoopProbeReport;
  readonly jobId?: string;
}

/**
 * The same window with no request at all: what the machine alone does to the event loop's timers
 * (another process holding the CPU delays them too), to read the creations' figures against.
 */
async function idle(app: { child: ChildProcess }, seconds: number): Promise<Measured> {
  await ask(app.child, { type: 'probe:reset' }, 'probe:ready');
  await sleep(seconds * 1_000);
  const probe = await ask<LoopProbeReport>(app.child, { type: 'probe:report' }, 'probe:report');
  return { format: 'idle (none)', recipients: 0, status: 0, seconds, probe };
}

/** One creation, measured from the probe's reset to the 202. */
async function measure(
  app: { child: ChildProcess; url: string },
  format: 'ndjson' | 'json',
  count: number,
): Promise<Measured> {
  const job = { message: 'Maintenance tonight at 02:00' };
  let body: Readable;
  let contentType: string;
  if (format === 'ndjson') {
    body = ndjsonJobBody(job, count);
    contentType = 'application/x-ndjson';
  } else {
    // Made before the clock starts: the client's cost is not the app's.
    const text = JSON.stringify({
      ...job,
      to: Array.from({ length: count }, (_, i) => `user_${i}`),
    });
    body = Readable.from([text]);
    contentType = 'application/json';
  }
  await ask(app.child, { type: 'probe:reset' }, 'probe:ready');
  const started = performance.now();
  const answer = await postStream(
    `${app.url}/v1/fan-outs`,
    { 'x-api-key': API_KEY, 'content-type': contentType },
    body,
  );
  const seconds = (performance.now() - started) / 1_000;
  // Let the app settle what the answer left (buffers, the request's objects) into the peak.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const probe = await ask<LoopProbeReport>(app.child, { type: 'probe:report' }, 'probe:report');
  if (answer.status !== 202) {
    throw new Error(`${format}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  }
  return {
    format,
    recipients: count,
    status: answer.status,
    seconds,
    probe,
    jobId: answer.body.id as string,
  };
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  const emulator = await EmulatorProcess.start(0);
  const run = randomUUID().slice(0, 8);
  const queue = `bench-job-create-${run}`;
  const app = await startApp({
    VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
    VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
    RTC_APP_ID: `bench-job-create-${run}`,
    RTC_FROM: 'bench_bot',
    RTC_ENDPOINT: emulator.url,
    API_KEYS: API_KEY,
    REDIS_URL: flags.redis,
    FAN_OUT_JOB_QUEUE: queue,
    LOG_LEVEL: 'warn',
  });
  const results: Measured[] = [];
  try {
    // Small ones first, of each kind: what the first creation loads and connects, and the code
    // the first parse of each kind compiles, are not a creation's cost.
    await measure(app, 'ndjson', 1_000);
    await measure(app, 'json', 1_000);
    console.log(`creating one job of ${recipients.toLocaleString('en-US')} recipients as NDJSON…`);
    results.push(await measure(app, 'ndjson', recipients));
    console.log(
      `creating one job of ${jsonRecipients.toLocaleString('en-US')} recipients as JSON…`,
    );
    results.push(await measure(app, 'json', jsonRecipients));
    console.log("the app idle, for the machine's own noise…");
    results.push(await idle(app, 5));
  } finally {
    await stopChild(app.child, 'SIGTERM', 30_000);
    await emulator.stop();
    for (const { jobId } of results)
      if (jobId) await deleteKeys(flags.redis, `rtc-fan-out:{${jobId}}:*`);
    await deleteKeys(flags.redis, `bull:${queue}:*`);
  }

  const header = [
    'body',
    'recipients',
    'to 202 s',
    'ids/s',
    'max loop delay ms',
    'p99 ms',
    'max CPU between ticks ms',
    'extra RSS MB',
    'extra heap MB',
    'app CPU s',
  ];
  const rows = results.map(({ format, recipients: n, seconds, probe }) => [
    format,
    n.toLocaleString('en-US'),
    fixed(seconds, 1),
    n === 0 ? '' : fixed(n / seconds, 0),
    fixed(probe.maxDelayMs, 0),
    fixed(probe.p99DelayMs, 0),
    fixed(probe.maxCpuBetweenTicksMs, 0),
    fixed(probe.peakRssMb - probe.baselineRssMb, 0),
    fixed(probe.peakHeapMb - probe.baselineHeapMb, 0),
    fixed(probe.cpuMs / 1_000, 1),
  ]);
  console.log(`\n${formatTable(header, rows)}`);
  if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(header, rows)}`);
  const big = results[0];
  const quiet = results[results.length - 1];
  const extra = big.probe.peakRssMb - big.probe.baselineRssMb;
  const verdict = (ok: boolean) => (ok ? 'within' : 'OVER');
  const held = big.probe.maxCpuBetweenTicksMs;
  console.log(
    `\n${big.recipients.toLocaleString('en-US')} as NDJSON: ${fixed(extra, 0)} MB extra RSS ` +
      `(${verdict(extra < MAX_EXTRA_MB)} the ${MAX_EXTRA_MB} MB target); the event loop worked at most ` +
      `${fixed(held, 0)} ms between two ticks (${verdict(held <= MAX_BLOCKED_MS)} the ${MAX_BLOCKED_MS} ms target); ` +
      `its timers were late by up to ${fixed(big.probe.maxDelayMs, 0)} ms, and by ${fixed(quiet.probe.maxDelayMs, 0)} ms ` +
      'with no request at all (the machine itself)',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
