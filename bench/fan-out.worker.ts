/**
 * The client of `npm run bench:fan-out`: one Nest application context whose UnicastService sends
 * one message to each of N recipients with `sendToMany`, under the module's call budget. The ids
 * come from a generator, so nothing but the module holds the list. Started by run-fan-out.ts with
 * its input as JSON in argv[2]; answers with one IPC message (a {@link FanOutRunResult}).
 */
import { NestFactory } from '@nestjs/core';
import { RtcMessagingModule, UnicastService } from '../libs/rtc-messaging/src';
import type { Credentials } from '../libs/rtc-messaging/src/signing';
import { APP_ID, FROM, MESSAGE } from './lib/workload';

export interface FanOutInput {
  readonly url: string;
  readonly credentials: Credentials;
  readonly recipients: number;
  readonly perSecond: number;
  readonly concurrency: number;
}

export interface FanOutRunResult {
  readonly sent: number;
  readonly refused: number;
  readonly unknown: number;
  readonly elapsedMs: number;
  /** Process peak RSS, boot included (`process.resourceUsage().maxRSS`), in MB. */
  readonly peakRssMb: number;
  /** RSS and heap right after boot, before the fan-out, in MB. */
  readonly bootRssMb: number;
  /** Largest heap used seen during the run (sampled at each progress report), in MB. */
  readonly peakHeapMb: number;
  readonly firstRefusal?: string;
}

const mb = (bytes: number) => bytes / 1_048_576;

function* recipients(count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield `user_${i}`;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as FanOutInput;
  const app = await NestFactory.createApplicationContext(
    RtcMessagingModule.forRoot({
      ...input.credentials,
      appId: APP_ID,
      from: FROM,
      endpoint: input.url,
      rateLimit: { perSecond: input.perSecond },
    }),
    { logger: ['error', 'warn'] },
  );
  const unicast = app.get(UnicastService);
  const bootRssMb = mb(process.memoryUsage().rss);
  let peakHeap = process.memoryUsage().heapUsed;

  const summary = await unicast.sendToMany(recipients(input.recipients), MESSAGE, {
    concurrency: input.concurrency,
    progressEvery: 1_000,
    onProgress: () => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    },
  });
  await app.close();

  const result: FanOutRunResult = {
    sent: summary.sent,
    refused: summary.refused,
    unknown: summary.unknown,
    elapsedMs: summary.elapsedMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    bootRssMb,
    peakHeapMb: mb(peakHeap),
    firstRefusal: summary.refusals[0]?.reason,
  };
  process.send?.(result);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
