/**
 * `npm run bench:jobs`: one fan-out job of 1,000,000 recipients through the demo app's
 * `/v1/fan-outs`, against the emulator (its own process) limited to the budget (5,000/s), with an
 * API instance (`WORKER=false`) and two worker instances, all real processes sharing Redis. It
 * reports the wall time, calls/s as a share of the budget, each process's peak RSS and the Redis
 * memory the job takes. See bench/README.md.
 */
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { forkTracked, installCleanup, OutputTail, stopChild } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { ndjsonJobBody, postStream } from './lib/ndjson-job';
import { fixed, formatMarkdownTable, formatTable, positiveInt, readFlags } from './lib/stats';

/** The demo app as `npm run build` compiles it (bench/dist/bench/ -> the repository root). */
const MAIN = join(__dirname, '..', '..', '..', 'dist', 'src', 'main.js');
const API_KEY = 'bench-jobs-key';

const flags = readFlags(process.argv.slice(2), {
  recipients: { env: 'BENCH_JOBS_RECIPIENTS', default: '1000000' },
  budget: { env: 'BENCH_JOBS_BUDGET', default: '5000' },
  workers: { env: 'BENCH_JOBS_WORKERS', default: '2' },
  concurrency: { env: 'BENCH_JOBS_CONCURRENCY', default: '64' },
  redis: { env: 'REDIS_URL', default: 'redis://127.0.0.1:6379' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
});
const recipients = positiveInt('recipients', flags.recipients);
const budget = positiveInt('budget', flags.budget);
const workerCount = positiveInt('workers', flags.workers);
const concurrency = positiveInt('concurrency', flags.concurrency);

interface Instance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  peakRssMb: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Peak resident set of a live process, from Linux's `VmHWM`, in MB (0 elsewhere). */
function peakRssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

async function startInstance(
  name: string,
  env: Record<string, string>,
  worker: boolean,
): Promise<Instance> {
  const port = await freePort();
  const output = new OutputTail();
  const child = forkTracked(MAIN, [], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), WORKER: String(worker) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk);
      if (output.text.includes('Listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})\n${output.text}`)));
  });
  return { name, child, url: `http://127.0.0.1:${port}`, peakRssMb: 0 };
}

async function call(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    ...init,
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Sum of `MEMORY USAGE` over the keys matching `pattern`. */
async function memoryOf(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    cursor = next;
    for (const key of batch) {
      keys++;
      bytes += Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    }
  } while (cursor !== '0');
  return { keys, bytes };
}

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  const emulator = await EmulatorProcess.start(budget);
  const run = randomUUID().slice(0, 8);
  const queue = `bench-jobs-${run}`;
  const env = {
    VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
    VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
    RTC_APP_ID: `bench-jobs-${run}`,
    RTC_FROM: 'bench_bot',
    RTC_ENDPOINT: emulator.url,
    API_KEYS: API_KEY,
    REDIS_URL: flags.redis,
    RTC_RATE_LIMIT_PER_SECOND: String(budget),
    FAN_OUT_JOB_QUEUE: queue,
    FAN_OUT_JOB_CONCURRENCY: String(concurrency),
  };
  const api = await startInstance('api (WORKER=false)', env, false);
  const workers = await Promise.all(
    Array.from({ length: workerCount }, (_, i) => startInstance(`worker ${i + 1}`, env, true)),
  );
  const instances = [api, ...workers];
  const redis = new Redis(flags.redis);
  const usedBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);

  console.log(
    `one job of ${recipients.toLocaleString('en-US')} recipients, budget ${budget}/s, ` +
      `${workerCount} workers x ${concurrency} calls in flight; about ${Math.ceil(recipients / budget)} s at the budget`,
  );
  const posted = performance.now();
  // As NDJSON, streamed: a JSON body lists at most 10,000 ids.
  const created = await postStream(
    `${api.url}/v1/fan-outs`,
    { 'x-api-key': API_KEY, 'content-type': 'application/x-ndjson' },
    ndjsonJobBody({ message: 'Maintenance tonight at 02:00' }, recipients),
  );
  if (created.status !== 202) {
    throw new Error(`POST /v1/fan-outs: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const { id } = created.body as { id: string };
  const acceptedMs = performance.now() - posted;

  let job: Record<string, unknown>;
  for (;;) {
    for (const instance of instances) instance.peakRssMb = peakRssMb(instance.child.pid);
    job = await call(`${api.url}/v1/fan-outs/${id}`);
    if (job.state === 'completed' || job.state === 'cancelled') break;
    process.stdout.write(`\r${String(job.done).padStart(9)} done`);
    await sleep(1_000);
  }
  for (const instance of instances) instance.peakRssMb = peakRssMb(instance.child.pid);
  const wallMs = performance.now() - posted;
  process.stdout.write('\n');

  const jobKeys = await memoryOf(redis, `rtc-fan-out:{${id}}:*`);
  const bullKeys = await memoryOf(redis, `bull:${queue}:${id}-*`);
  const usedAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  await Promise.all(instances.map((instance) => stopChild(instance.child, 'SIGTERM', 30_000)));
  const stats = await emulator.stop();
  await redis.quit();

  const sendMs = Date.parse(job.finishedAt as string) - Date.parse(job.startedAt as string);
  const callsPerSecond = ((job.sent as number) / sendMs) * 1_000;
  const mb = (bytes: number) => fixed(bytes / 1024 / 1024, 1);
  const header = [
    'total',
    'sent',
    'refused',
    'unknown',
    '202 after s',
    'wall s',
    'calls/s',
    '÷ budget',
    '429s',
  ];
  const row = [
    recipients.toLocaleString('en-US'),
    String(job.sent),
    String(job.refused),
    String(job.unknown),
    fixed(acceptedMs / 1_000, 1),
    fixed(wallMs / 1_000, 1),
    fixed(callsPerSecond, 0),
    `${fixed((callsPerSecond / budget) * 100, 1)}%`,
    String(stats.throttled),
  ];
  const memoryHeader = ['process', 'peak RSS MB'];
  const memoryRows = instances.map((instance) => [instance.name, fixed(instance.peakRssMb, 0)]);
  const redisHeader = ['Redis', 'keys', 'MB'];
  const redisRows = [
    ["the job's ids, outcomes, checkpoint", String(jobKeys.keys), mb(jobKeys.bytes)],
    ["BullMQ's slice jobs (kept for the retention)", String(bullKeys.keys), mb(bullKeys.bytes)],
    ['used_memory, after minus before', '', mb(usedAfter - usedBefore)],
  ];
  for (const [h, rows] of [
    [header, [row]],
    [memoryHeader, memoryRows],
    [redisHeader, redisRows],
  ] as const) {
    console.log(`\n${formatTable(h, rows)}`);
    if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(h, rows)}`);
  }
  if (job.state !== 'completed' || (job.refused as number) > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
