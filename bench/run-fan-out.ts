/**
 * `npm run bench:fan-out`: `UnicastService.sendToMany` to 100,000 recipients against the emulator
 * (its own process) limited to 500 calls/s: the throughput the budget allows, and the client
 * process's peak memory, which must not grow with the list. See bench/README.md.
 */
import { join } from 'node:path';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import type { FanOutInput, FanOutRunResult } from './fan-out.worker';
import { installCleanup, runWorker } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { fixed, formatMarkdownTable, formatTable, positiveInt, readFlags } from './lib/stats';
import { describeUpstream, UPSTREAM_FLAGS, upstreamModel } from './lib/upstream-model';
import { describeThrottles, windowFill } from './lib/window-rate';

const WORKER = join(__dirname, 'fan-out.worker.js');

const flags = readFlags(process.argv.slice(2), {
  recipients: { env: 'BENCH_FAN_OUT_RECIPIENTS', default: '100000' },
  limit: { env: 'BENCH_FAN_OUT_LIMIT', default: '500' },
  concurrency: { env: 'BENCH_FAN_OUT_CONCURRENCY', default: '32' },
  markdown: { env: 'BENCH_MARKDOWN', default: 'false' },
  jitter: { env: 'BENCH_FAN_OUT_JITTER', default: '0' },
  ...UPSTREAM_FLAGS,
});
const recipients = positiveInt('recipients', flags.recipients);
const limit = positiveInt('limit', flags.limit);
const concurrency = positiveInt('concurrency', flags.concurrency);
const upstream = upstreamModel(flags, positiveInt('jitter', flags.jitter, 0));

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  const emulator = await EmulatorProcess.start(limit, { upstream, recordTimes: true });
  console.log(
    `sendToMany to ${recipients.toLocaleString('en-US')} recipients, emulator limited to ` +
      `${limit}/s (${describeUpstream(upstream)}), concurrency ${concurrency}; this takes about ` +
      `${Math.ceil(recipients / limit / 0.96)} s`,
  );
  const startedAt = performance.timeOrigin + performance.now();
  const input: FanOutInput = {
    url: emulator.url,
    credentials: EMULATOR_DEMO_CREDENTIALS,
    recipients,
    perSecond: limit,
    concurrency,
  };
  // Bounded: a run slower than half the limit is a failure, not something to wait out.
  const timeoutMs = Math.ceil((recipients / limit) * 2_000) + 60_000;
  const { result } = await runWorker<FanOutRunResult>(WORKER, input, {
    timeoutMs,
    label: 'fan-out client',
  });
  const stats = await emulator.stop();

  const callsPerSecond = (result.sent / result.elapsedMs) * 1000;
  // The worker boots before it sends, so the first request is later than `startedAt`: the
  // first-accepted figure here includes a Nest boot and is not reported.
  const fill = windowFill(
    stats.times?.accepted ?? [],
    stats.times?.throttled ?? [],
    startedAt,
    limit,
  );
  const idealS = recipients / limit;
  const header = [
    'recipients',
    'sent',
    'refused',
    'unknown',
    'elapsed s',
    'calls/s',
    '÷ limit',
    '÷ (recipients / limit)',
    'window calls/s',
    'window ÷ limit',
    '429s (emulator)',
    '429s at',
    'RSS after boot MB',
    'peak RSS MB',
    'peak heap MB',
  ];
  const row = [
    recipients.toLocaleString('en-US'),
    result.sent.toLocaleString('en-US'),
    String(result.refused),
    String(result.unknown),
    fixed(result.elapsedMs / 1000, 1),
    fixed(callsPerSecond, 1),
    `${fixed((callsPerSecond / limit) * 100, 1)}%`,
    `${fixed(result.elapsedMs / 1000 / idealS, 3)}x`,
    fixed(fill.windowRate, 1),
    `${fixed((100 * fill.windowRate) / limit, 1)}%`,
    String(stats.throttled),
    describeThrottles(fill.throttledAfterS),
    fixed(result.bootRssMb, 0),
    fixed(result.peakRssMb, 0),
    fixed(result.peakHeapMb, 0),
  ];
  console.log(`\n${formatTable(header, [row])}`);
  if (flags.markdown === 'true') console.log(`\n${formatMarkdownTable(header, [row])}`);
  if (result.firstRefusal) console.log(`first refusal: ${result.firstRefusal}`);
  if (result.refused > 0 || result.unknown > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
