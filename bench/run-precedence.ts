/**
 * `npm run bench:precedence`: single sends while a fan-out keeps the call budget saturated. The
 * module (one instance, memory budget) runs in this process, as in an app that serves users and
 * runs a campaign at once; the emulator, with its rate limit on, in its own process. It reports
 * how long the single sends waited for budget (the hardening issue's target: p99 at most 20 ms at
 * 20 sends/s), and whether the fan-out still got what they left. See bench/README.md.
 */
import { NestFactory } from '@nestjs/core';
import { RTC_CALL_BUDGET } from '../libs/rtc-messaging/src/rtc-messaging.constants';
import type { AcquireOptions, CallBudget } from '../libs/rtc-messaging/src/rate-limit/call-budget';
import { RtcMessagingModule, UnicastService } from '../libs/rtc-messaging/src';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { installCleanup } from './lib/child-processes';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { fixed, formatTable, percentileOfSorted, positiveInt, readFlags } from './lib/stats';
import { APP_ID, FROM, MESSAGE } from './lib/workload';

const flags = readFlags(process.argv.slice(2), {
  limit: { env: 'BENCH_PRECEDENCE_LIMIT', default: '500' },
  recipients: { env: 'BENCH_PRECEDENCE_RECIPIENTS', default: '10000' },
  concurrency: { env: 'BENCH_PRECEDENCE_CONCURRENCY', default: '200' },
  singlesPerSecond: { env: 'BENCH_PRECEDENCE_SINGLES', default: '20' },
});
const limit = positiveInt('limit', flags.limit);
const recipients = positiveInt('recipients', flags.recipients);
const concurrency = positiveInt('concurrency', flags.concurrency);
const singlesPerSecond = positiveInt('singlesPerSecond', flags.singlesPerSecond);

async function main(): Promise<void> {
  installCleanup();
  const emulator = await EmulatorProcess.start(limit);
  const app = await NestFactory.createApplicationContext(
    RtcMessagingModule.forRoot({
      ...EMULATOR_DEMO_CREDENTIALS,
      appId: APP_ID,
      from: FROM,
      endpoint: emulator.url,
      rateLimit: { perSecond: limit },
    }),
    { logger: ['error', 'warn'] },
  );
  const unicast = app.get(UnicastService);

  // The budget wait of each single send, measured where it happens: around `acquire`.
  const budget = app.get<CallBudget>(RTC_CALL_BUDGET);
  const acquire = budget.acquire.bind(budget);
  const singleWaits: number[] = [];
  budget.acquire = async (key: string, options?: AcquireOptions) => {
    if (options?.priority === 'bulk') return acquire(key, options);
    const started = performance.now();
    const place = await acquire(key, options);
    singleWaits.push(performance.now() - started);
    return place;
  };

  const started = performance.now();
  const fanOut = unicast.sendToMany(
    Array.from({ length: recipients }, (_, i) => `user_${i}`),
    MESSAGE,
    { concurrency },
  );
  let fanOutDone = false;
  void fanOut.finally(() => (fanOutDone = true));

  // Single sends at a steady rate, from one second in (the fan-out has filled the budget's queue)
  // until the fan-out ends.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const singles: Promise<unknown>[] = [];
  let singleFailures = 0;
  const every = 1_000 / singlesPerSecond;
  for (let i = 0; !fanOutDone; i++) {
    singles.push(
      unicast.sendText(`vip_${i}`, 'your code is 1234').catch(() => void singleFailures++),
    );
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  const summary = await fanOut;
  const elapsedS = (performance.now() - started) / 1_000;
  await Promise.all(singles);
  await app.close();
  const stats = await emulator.stop();

  const sorted = Float64Array.from(singleWaits).sort();
  const pct = (p: number) => fixed(percentileOfSorted(sorted, p), 1);
  const throttled = stats.throttled;
  console.log(describeMachine());
  console.log(
    `fan-out of ${recipients.toLocaleString('en-US')} recipients at concurrency ${concurrency}, ` +
      `single sends at ${singlesPerSecond}/s, budget and emulator at ${limit}/s\n`,
  );
  console.log(
    formatTable(
      ['what', 'value'],
      [
        ['single sends', String(singles.length)],
        ['single sends failed', String(singleFailures)],
        ['budget wait p50 (ms)', pct(50)],
        ['budget wait p99 (ms)', pct(99)],
        ['budget wait max (ms)', fixed(sorted[sorted.length - 1] ?? 0, 1)],
        [
          'fan-out sent / refused / unknown',
          `${summary.sent} / ${summary.refused} / ${summary.unknown}`,
        ],
        ['fan-out time (s)', fixed(elapsedS, 1)],
        ['accepted calls/s, both', fixed(stats.accepted / elapsedS, 1)],
        ['share of the limit', `${fixed((100 * stats.accepted) / elapsedS / limit, 1)}%`],
        ['throttled by the emulator', String(throttled)],
      ],
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
