import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RepeatedLines } from '../telemetry';
import { RTC_FAN_OUT_JOBS_REDIS, RTC_FAN_OUT_QUEUE } from './fan-out-jobs.constants';

/** Whatever reports errors as BullMQ's queue and worker do. */
interface ErrorSource {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The errors of the jobs' BullMQ queue and worker and of the client of the jobs' own keys, at most
 * one line per message per 10 s, with the count (`RepeatedLines`). While Redis is down each of
 * them reports every reconnection attempt, about twice a second, and a queue or an ioredis client
 * without an 'error' listener prints each to `console.error` itself, stack and all, past the
 * app's logger.
 */
@Injectable()
export class JobsErrorLog implements OnApplicationShutdown {
  private readonly logger = new Logger('RtcFanOutJobs');
  private readonly lines = new RepeatedLines((line) => this.logger.error(line));

  // Watched from construction, not at module init: a Redis that is down at boot reports its first
  // refused connection within a turn of the event loop, and `compile()` and `init()` are apart.
  constructor(
    @Inject(RTC_FAN_OUT_QUEUE) queue: Queue,
    @Inject(RTC_FAN_OUT_JOBS_REDIS) redis: Redis,
  ) {
    this.watch(queue, 'Fan-out queue');
    this.watch(redis, 'Fan-out store');
  }

  /** Logs the errors of `source`, each line starting with `label`. */
  watch(source: ErrorSource, label: string): void {
    source.on('error', (error) => this.lines.record(`${label}: ${error.message}`));
  }

  /** Writes the counts still gathered; after the worker and the queue have closed. */
  onApplicationShutdown(): void {
    this.lines.flush();
  }
}
