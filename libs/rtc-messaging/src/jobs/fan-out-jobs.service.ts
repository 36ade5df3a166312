import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { FieldViolation, RtcError, RtcValidationError } from '../errors';
import { MAX_ENTRY_VIOLATIONS, malformedIdViolations } from '../room/rtc-id-list.validator';
import { ID_PATTERN } from '../rtc-openapi.constants';
import { fanOutArgumentViolations } from '../unicast/fan-out';
import { MessageContentDto, rtcIdRuleText, validateInput } from '../validation';
import { FanOutJobNotFoundError } from './fan-out-job-not-found.error';
import { FanOutJobsUnavailableError } from './fan-out-jobs-unavailable.error';
import { FanOutJobStore } from './fan-out-job.store';
import { FanOutJobWriter } from './fan-out-job.writer';
import type {
  CreatedFanOutJob,
  FanOutJobCancellation,
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

/** The reason of a recipient refused at creation, as `sendToMany` words it. */
const RECIPIENT_ID_RULE = rtcIdRuleText('to');

/**
 * The positions of malformed ids when they fail the creation: the first
 * `MAX_ENTRY_VIOLATIONS` kept, the rest counted (an input read as a stream is not kept).
 */
class MalformedIds {
  private readonly listed: number[] = [];
  private count = 0;
  /** Recipients read but not written, once creation is bound to fail. */
  skipped = 0;

  constructor(private readonly fail: boolean) {}

  /** Whether the creation will fail (so nothing more need be written). */
  get failing(): boolean {
    return this.count > 0;
  }

  add(index: number): void {
    if (!this.fail) return;
    this.count++;
    if (this.listed.length < MAX_ENTRY_VIOLATIONS) this.listed.push(index);
  }

  /** @throws RtcValidationError naming them, as `expandIdListViolations` names a list's */
  throwIfAny(): void {
    if (this.count > 0) {
      throw new RtcValidationError(malformedIdViolations('to', this.listed, this.count));
    }
  }
}

/**
 * Fan-outs as durable BullMQ jobs: `create` stores the recipients in Redis and queues the job's
 * slices; workers in any process of the app send them through `UnicastService` (one shared
 * budget), checkpointing every outcome, so a job survives restarts and never sends twice.
 *
 * @example
 * const { id, total } = await this.jobs.create({ to: userIds, message: 'Hi' });
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
   * Validates the message, then reads the recipients incrementally (an array, an iterable, or an
   * async iterable such as a database cursor) and writes them to Redis in pipelined chunks as it
   * goes, never holding the whole list: a million ids take flat memory. Then it queues the job.
   *
   * Each id is checked as it is read. A malformed one (the id rule, e.g. `bad id` or a lone
   * surrogate) is recorded `refused` at once, or, with `malformedIds: 'fail'`, fails the
   * creation naming every such position (`to[3]`). An input that throws midway, or breaks a
   * rule, leaves nothing behind in Redis and nothing is sent.
   * @throws RtcValidationError when the message or an option breaks a rule, a recipient is not a
   *   string, there are more than `maxRecipients`, or (`malformedIds: 'fail'`) an id is malformed
   * @throws FanOutJobsUnavailableError when Redis is down (before anything is read or written), or
   *   fails while the job is written
   */
  async create(input: CreateFanOutJobInput): Promise<CreatedFanOutJob> {
    const { to, message, binary, from, appId, atLeastOnce, malformedIds } = input ?? ({} as never);
    const problems: FieldViolation[] = fanOutArgumentViolations(to, {}, 'to');
    if (atLeastOnce !== undefined && typeof atLeastOnce !== 'boolean') {
      problems.push({
        field: 'atLeastOnce',
        rule: 'isBoolean',
        message: 'atLeastOnce must be a boolean',
      });
    }
    if (malformedIds !== undefined && malformedIds !== 'refused' && malformedIds !== 'fail') {
      problems.push({
        field: 'malformedIds',
        rule: 'isIn',
        message: "malformedIds must be 'refused' or 'fail'",
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
    const { redis, keyPrefix } = this.store.connection;
    const writer = new FanOutJobWriter(redis, keyPrefix, randomUUID(), sliceSize);
    const malformed = new MalformedIds(malformedIds === 'fail');
    // Whether a write to Redis (not the input) was under way when something failed: a flag per
    // id rather than a wrapper promise per id, for a million of them.
    let writing = false;
    try {
      for await (const id of to as Iterable<string> | AsyncIterable<string>) {
        const index = writer.total + malformed.skipped;
        if (typeof id !== 'string') {
          throw new RtcValidationError([
            {
              field: `to[${index}]`,
              rule: 'isString',
              message: `to[${index}] must be a string (a user id)`,
            },
          ]);
        }
        if (index === maxRecipients) {
          throw new RtcValidationError([
            {
              field: 'to',
              rule: 'maxRecipients',
              message: `to must hold at most ${maxRecipients.toLocaleString('en-US')} ids`,
            },
          ]);
        }
        const wellFormed = ID_PATTERN.test(id);
        if (!wellFormed) malformed.add(index);
        // Once creation is bound to fail, the rest is only read, to name every malformed id.
        if (malformed.failing) malformed.skipped++;
        else {
          writing = true;
          await writer.push(id, wellFormed ? undefined : RECIPIENT_ID_RULE);
          writing = false;
        }
      }
      malformed.throwIfAny();
      writing = true;
      await writer.drain();
      const total = writer.total;
      const slices = writer.slices;
      // Nothing left to send (no id, or every one refused): the job ends as it is created.
      const ended = writer.refused === total;
      const createdAt = Date.now();
      await writer.writeMeta(
        {
          total,
          slices,
          sliceSize,
          lanes: lanesPerJob,
          message: content.message,
          binary: content.binary ?? false,
          from: content.from,
          appId: content.appId,
          atLeastOnce: atLeastOnce ?? false,
          retentionMs,
        },
        { createdAt, refused: writer.refused, ended },
      );
      if (!ended) {
        await this.queue.addBulk(
          Array.from({ length: Math.min(lanesPerJob, slices) }, (_, slice) => ({
            name: FAN_OUT_SLICE_JOB,
            data: { jobId: writer.id, slice },
            opts: sliceJobOptions(writer.id, slice, retentionMs),
          })),
        );
      }
      // A job that ended at creation is kept for its retention from then, like any other.
      await writer.seal(this.store, ended ? createdAt + retentionMs : undefined);
    } catch (error) {
      // Nobody has the id yet: the half-written job goes (its lease would end it anyway).
      await writer.discard().catch(() => undefined);
      // Redis failing after the check above is as unavailable as Redis down before it; the
      // input's own errors pass as they are.
      throw writing && !(error instanceof RtcError)
        ? new FanOutJobsUnavailableError('failed', { cause: error })
        : error;
    }
    return { id: writer.id, total: writer.total };
  }

  /**
   * The job's state, counts and first samples; `undefined` when there is no such job.
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time
   */
  get(id: string): Promise<FanOutJob | undefined> {
    return this.redisCalls.run(() => this.store.job(id));
  }

  /**
   * Stops the job: no further recipient is sent, calls waiting for budget give up, calls on the
   * wire complete and are reported. Once the calls in flight are through the job is `cancelled`
   * (until then `cancelling`), and every recipient it did not send counts as `cancelled`.
   * Resolves the job as it stands and whether this call stopped it (`stopped: false`: it had
   * already ended, and nothing changed), or `undefined` when there is no such job.
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time
   */
  async cancel(id: string): Promise<FanOutJobCancellation | undefined> {
    const answer = await this.redisCalls.run(() => this.store.cancel(id));
    if (answer === undefined) return undefined;
    const job = await this.redisCalls.run(() => this.store.job(id));
    return job && { stopped: answer === 'cancelled', job };
  }

  /**
   * The outcomes, in recipient order (`to`, `index`, `status`, and `requestId` or `reason`), read
   * slice by slice; kept for the job's retention. While the job runs, those recorded so far; once
   * it has ended, exactly one per recipient (a cancelled job's unsent ones are `cancelled`).
   * @throws FanOutJobNotFoundError when there is no such job
   * @throws FanOutJobsUnavailableError when Redis is down or does not answer in time, at the
   *   start or between two slices
   */
  async *results(id: string): AsyncGenerator<FanOutJobOutcome> {
    const [spec, progress] = FanOutJobStore.isJobId(id)
      ? await this.redisCalls.run(() => Promise.all([this.store.spec(id), this.store.progress(id)]))
      : [];
    if (!spec || !progress) throw new FanOutJobNotFoundError(id);
    yield* this.redisCalls.each(
      this.store.outcomes(id, spec.slices, spec.sliceSize, progress.state === 'cancelled'),
    );
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
