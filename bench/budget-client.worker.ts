/**
 * One app instance for `npm run bench:budget`: a Nest application context with the module's call
 * budget (in memory, or shared through Redis), which boots, says `ready`, waits for `go`, then
 * sends its share of a burst as fast as the budget lets it. Started by run-budget.ts with its
 * input as JSON in argv[2]; answers with one IPC message (a {@link BudgetRunResult}).
 */
import { NestFactory } from '@nestjs/core';
import { RtcMessagingModule, RtcRateLimitedError, UnicastService } from '../libs/rtc-messaging/src';
import type { Credentials } from '../libs/rtc-messaging/src/signing';
import { APP_ID, FROM, MESSAGE, TO } from './lib/workload';

export interface BudgetInput {
  readonly instance: number;
  readonly url: string;
  readonly credentials: Credentials;
  readonly sends: number;
  /**
   * Calls sent before `ready`, to another AppId (so another budget key, and another emulator
   * window): the burst then runs on warm code, as in a service that has been up for a while.
   */
  readonly warmup: number;
  readonly concurrency: number;
  /** How long to wait after the warm-up before saying `ready`, in ms. */
  readonly pauseMs: number;
  readonly perSecond: number;
  /** Absent: the in-memory budget. */
  readonly redis?: { readonly url: string; readonly keyPrefix: string };
  readonly maxWaitMs: number;
  readonly maxQueued: number;
  /** No call starts after this long past `go`. */
  readonly deadlineMs: number;
}

export interface BudgetRunResult {
  readonly instance: number;
  readonly accepted: number;
  /** RtcRateLimitedError with `upstream` set: the emulator's 429 after the retries gave up. */
  readonly throttledUpstream: number;
  /** RtcRateLimitedError without `upstream`: the local budget refused to wait longer. */
  readonly budgetRefused: number;
  readonly otherErrors: number;
  readonly firstError?: string;
  /** Wall-clock time (epoch ms, sub-ms precision) at which each accepted call's answer came. */
  readonly acceptedAt: number[];
  /** Wall-clock time at which `go` arrived. */
  readonly startedAt: number;
}

/** The AppId of warm-up calls, kept apart from the measured burst's. */
export const WARMUP_APP_ID = `${APP_ID}-warmup`;

const wallNow = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '') as BudgetInput;
  const app = await NestFactory.createApplicationContext(
    RtcMessagingModule.forRoot({
      accessKeyId: input.credentials.accessKeyId,
      secretAccessKey: input.credentials.secretAccessKey,
      appId: APP_ID,
      from: FROM,
      endpoint: input.url,
      rateLimit: {
        perSecond: input.perSecond,
        maxWaitMs: input.maxWaitMs,
        maxQueued: input.maxQueued,
        ...(input.redis ? { redis: input.redis.url, redisKeyPrefix: input.redis.keyPrefix } : {}),
      },
    }),
    { logger: ['error', 'warn'] },
  );
  const unicast = app.get(UnicastService);

  let warmupLeft = input.warmup;
  const warmLane = async () => {
    while (warmupLeft > 0) {
      warmupLeft--;
      await unicast.send({ to: TO, message: MESSAGE, appId: WARMUP_APP_ID });
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.warmup) }, warmLane));
  // A service that has been up a while: the burst does not start inside the warm-up's own start
  // from rest (a fresh process's first calls are slow, and paced for it), but after a pause.
  await new Promise((resolve) => setTimeout(resolve, input.pauseMs));

  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ ready: true });
  });
  const startedAt = wallNow();
  const deadline = performance.now() + input.deadlineMs;

  const acceptedAt: number[] = [];
  let throttledUpstream = 0;
  let budgetRefused = 0;
  let otherErrors = 0;
  let firstError: string | undefined;
  let next = 0;
  const lane = async () => {
    while (next < input.sends) {
      next++;
      if (performance.now() > deadline) {
        otherErrors++;
        firstError ??= 'deadline passed before every call was sent';
        continue;
      }
      try {
        await unicast.send({ to: TO, message: MESSAGE });
        acceptedAt.push(wallNow());
      } catch (error) {
        if (error instanceof RtcRateLimitedError) {
          if (error.upstream) throttledUpstream++;
          else budgetRefused++;
        } else otherErrors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.sends) }, lane));
  await app.close();

  const result: BudgetRunResult = {
    instance: input.instance,
    accepted: acceptedAt.length,
    throttledUpstream,
    budgetRefused,
    otherErrors,
    firstError,
    acceptedAt,
    startedAt,
  };
  process.send!(result, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`budget worker: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
