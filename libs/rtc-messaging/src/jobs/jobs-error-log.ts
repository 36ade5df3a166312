import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { RepeatedLines } from '../telemetry';
import { RTC_FAN_OUT_QUEUE } from './fan-out-jobs.constants';

/** Whatever reports errors as BullMQ's queue and worker do. */
interface ErrorSource {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The errors of the jobs' BullMQ queue and worker, at most one line per message per 10 s, with
 * the count (`RepeatedLines`). While Redis is down each of them reports every
 * reconnection attempt, about twice a second, and a queue without an 'error' listener prints each
 * to `console.error` itself.
 */
@Injectable()
export class JobsErrorLog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RtcFanOutJobs');
  private readonly lines = new RepeatedLines((line) => this.logger.error(line));

  constructor(@Inject(RTC_FAN_OUT_QUEUE) private readonly queue: Queue) {}

  onModuleInit(): void {
    this.watch(this.queue, 'Fan-out queue');
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
