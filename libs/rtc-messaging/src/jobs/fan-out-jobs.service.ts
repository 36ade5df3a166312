import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { FieldViolation, RtcValidationError } from '../errors';
import { fanOutArgumentViolations } from '../unicast/fan-out';
import { MessageContentDto, validateInput } from '../validation';
import { FanOutJobNotFoundError } from './fan-out-job-not-found.error';
import { FanOutJobStore } from './fan-out-job.store';
import type {
  CreatedFanOutJob,
  CreateFanOutJobInput,
  FanOutJob,
  FanOutJobOutcome,
  FanOutJobProgress,
  FanOutSliceData,
} from './fan-out-job.types';
import {
  FAN_OUT_SLICE_JOB,
  RTC_FAN_OUT_JOBS_OPTIONS,
  RTC_FAN_OUT_QUEUE,
} from './fan-out-jobs.constants';
import type { ResolvedFanOutJobsOptions } from './fan-out-jobs.options';
import { JobsRedisCalls } from './jobs-redis-calls';
import { sliceJobOptions } from './slice-job-options';

/** Options of {@link FanOutJobs.progress}. */
export interface FanOutProgressOptions {
  /** How often the counts are read, in ms. Default 500. */
  readonly intervalMs?: number;
  /** Stops the iteration (e.g. when the client of a progress stream goes away). */
  readonly signal?: AbortSignal;
}

const FINAL_STATES = new Set(['completed', 'cancelled']);

/**
 * Fan-outs as durable BullMQ jobs: `create` stores the recipients in Redis and queues the job's
 * slices; workers in any process of the app send them through `UnicastService` (one shared
 * budget), checkpointing every outcome, so a job survives restarts and never sends twice.
 *
 * @example
 * const { id, total } = await this.jobs.create({ recipients: userIds, message: 'Hi' });
 * for await (const p of this.jobs.progress(id)) console.log(`${p.done}/${p.total}`);
 * for await (const r of this.jobs.results(id)) if (r.status !== 'sent') retryLater(r.to);
 */
@Injectable()
export class FanOutJobs {
  constructor(
    @Inject(RTC_FAN_OUT_JOBS_OPTIONS) private readonly options: ResolvedFanOutJobsOptions,
    private readonly store: FanOutJobStore,
    @Inject(RTC_FAN_OUT_QUEUE) private readonly queue: Queue<FanOutSliceData>,
    /** The round trips made for a caller fail fast when Redis is down (a 503, not a hang). */
    private readonly redisCalls: JobsRedisCalls,
  ) {}

  /**
   * Validates the message, streams the recipient ids into Redis in slices (the producer holds one
   * slice at a time, so an async cursor over a table runs in flat memory), then queues the job.
   * A malformed id is not an error here: it is `refused` when its turn comes, as in `sendToMany`.
   * @throws RtcValidationError when the message or an option breaks a rule, a recipient is not a
   *   string, or there are more than `maxRecipients` (nothing is queued)
   * @throws FanOutJobsUnavailableError when Redis is down (before anything is read or written)
   */
  async create(input: CreateFanOutJobInput): Promise<CreatedFanOutJob> {
    const { recipients, message, binary, from, appId, atLeastOnce } = input ?? ({} as never);
    const problems: FieldViolation[] = fanOutArgumentViolations(recipients);
    if (atLeastOnce !== undefined && typeof atLeastOnce !== 'boolean') {
      problems.push({
        field: 'atLeastOnce',
        rule: 'isBoolean',
        message: 'atLeastOnce must be a boolean',
      });
    }
    let content: MessageContentDto;
    try {
      content = validateInput(MessageContentDto, { message, binary, from, appId });
    } catch (error) {
      if (error instanceof RtcValidationError && problems.length > 0) {
        throw new RtcValidationError([...error.violations, ...problems]);
      }
      throw error;
    }
    if (problems.length > 0) throw new RtcValidationError(problems);
    // Its writes are not bounded one by one (a million ids take seconds), but they are refused at
    // once while Redis is down, and an outage mid-way fails them after one reconnection attempt.
    this.redisCalls.assertUp();

    const { sliceSize, maxRecipients, retentionMs, lanesPerJob } = this.options;
    const id = randomUUID();
    let total = 0;
    let slices = 0;
    let chunk: string[] = [];
    try {
      for await (const to of recipients) {
        if (typeof to !== 'string') {
          throw new RtcValidationError([
            {
              field: `recipients[${total}]`,
              rule: 'isString',
              message: `recipients[${total}] must be a string (a user id)`,
            },
          ]);
        }
        if (total === maxRecipients) {
          throw new RtcValidationError([
            {
              field: 'recipients',
              rule: 'maxRecipients',
              message: `recipients must hold at most ${maxRecipients.toLocaleString('en-US')} ids`,
            },
          ]);
        }
        chunk.push(to);
        total++;
        if (chunk.length === sliceSize) {
          await this.store.writeIds(id, slices++, chunk, retentionMs);
          chunk = [];
        }
      }
      if (chunk.length > 0) await this.store.writeIds(id, slices++, chunk, retentionMs);
      const spec = {
        total,
        slices,
        sliceSize,
        lanes: lanesPerJob,
        message: content.message,
        binary: content.binary ?? false,
        from: content.from,
        appId: content.appId,
        atLeastOnce: atLeastOnce ?? false,
      };
      await this.store.writeMeta(
        id,
        spec,
        total === 0 ? 'completed' : 'queued',
        Date.now(),
        retentionMs,
      );
      const firstSlices = Math.min(lanesPerJob, slices);
      await this.queue.addBulk(
        Array.from({ length: firstSlices }, (_, slice) => ({
          name: FAN_OUT_SLICE_JOB,
          data: { jobId: id, slice },
          opts: sliceJobOptions(id, slice, retentionMs),
        })),
      );
    } catch (error) {
      // Nobody has the id yet: the half-written job goes (and would expire anyway).
      await this.store.discard(id, slices).catch(() => undefined);
      throw error;
    }
    return { id, total };
  }

  /**
   * The job's state, counts and first samples; `undefined` when there is no such job.
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time
   */
  get(id: string): Promise<FanOutJob | undefined> {
    return this.redisCalls.run(() => this.store.job(id));
  }

  /**
   * Stops the job: no further recipient is sent, calls waiting for budget give up (`refused`,
   * cancelled before it was sent), calls on the wire complete and are reported. Resolves the job
   * as it stands (state `cancelling` until the calls in flight are through), or `undefined` when
   * there is no such job. Cancelling a finished job changes nothing.
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time
   */
  async cancel(id: string): Promise<FanOutJob | undefined> {
    if ((await this.redisCalls.run(() => this.store.cancel(id))) === undefined) return undefined;
    return this.redisCalls.run(() => this.store.job(id));
  }

  /**
   * Every recorded outcome, in recipient order (`to`, `index`, `status`, and `requestId` or
   * `reason`), read slice by slice; kept for the job's retention.
   * @throws FanOutJobNotFoundError when there is no such job
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time, at the
   *   start or between two slices
   */
  async *results(id: string): AsyncGenerator<FanOutJobOutcome> {
    const spec = FanOutJobStore.isJobId(id)
      ? await this.redisCalls.run(() => this.store.spec(id))
      : undefined;
    if (!spec) throw new FanOutJobNotFoundError(id);
    yield* this.redisCalls.each(this.store.outcomes(id, spec.slices, spec.sliceSize));
  }

  /**
   * The job's counts, each time they change, until it is `completed` or `cancelled` (the last
   * value yielded is the final one); for a progress bar or a Server-Sent Events stream.
   * @throws FanOutJobNotFoundError when there is no such job
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time
   */
  async *progress(
    id: string,
    { intervalMs = 500, signal }: FanOutProgressOptions = {},
  ): AsyncGenerator<FanOutJobProgress> {
    let last = '';
    for (let first = true; !signal?.aborted; first = false) {
      const progress = await this.redisCalls.run(() => this.store.progress(id));
      if (!progress) {
        if (first) throw new FanOutJobNotFoundError(id);
        return; // Its retention ran out while we watched.
      }
      const seen = JSON.stringify(progress);
      if (seen !== last) {
        last = seen;
        yield progress;
      }
      if (FINAL_STATES.has(progress.state)) return;
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
