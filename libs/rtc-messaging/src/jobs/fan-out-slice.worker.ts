import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { UnicastService } from '../unicast/unicast.service';
import { RtcUpstreamError, RtcValidationError } from '../errors';
import type { FanOutResult } from '../unicast/fan-out.types';
import { CANCELLED_REASON } from '../unicast/send-status';
import { FanOutJobStore, MarkAnswer, RecordedOutcome } from './fan-out-job.store';
import type { FanOutSliceData } from './fan-out-job.types';
import {
  FAN_OUT_SLICE_JOB,
  RTC_FAN_OUT_JOBS_OPTIONS,
  RTC_FAN_OUT_JOBS_REDIS,
  RTC_FAN_OUT_QUEUE,
} from './fan-out-jobs.constants';
import type { ResolvedFanOutJobsOptions } from './fan-out-jobs.options';
import { JobsErrorLog } from './jobs-error-log';
import { bullConnection } from './redis-connection';
import { SliceBacklog } from './fan-out-slice.backlog';
import { refusesUnsent, sliceBackoff, sliceJobOptions } from './slice-job-options';

/** How often a running slice looks for a cancel made by another process, in ms. */
const CANCEL_POLL_MS = 250;

/** How many times BullMQ hands a slice over after its worker died before failing it. */
const MAX_STALLED = 1_000;

/**
 * The BullMQ worker of the fan-out queue (unless `worker: false`). Each BullMQ job is one slice
 * of a fan-out; the worker sends it through `UnicastService.sendToMany`, so the calls share the
 * module's per-AppId budget (in Redis, across processes), retries and validation, and wait behind
 * single sends as bulk work.
 *
 * The checkpoint, per recipient: the worker marks it in flight before its call can go out, and
 * records its outcome after. A slice taken again after its worker died first settles what was in
 * flight (`unknown`, interrupted, or released with `atLeastOnce`), then sends only recipients with
 * neither mark nor outcome. So a recorded recipient is never sent again, and at most the calls in
 * flight when a worker died (its `concurrency`) are reported `unknown`.
 *
 * A call that surely did not go out, and not for the recipient's sake (stopped by a cancel or by
 * its run failing; the budget's store or the upstream unreachable), is released instead of
 * recorded: sent when the slice runs again, or counted `cancelled` when its job ends cancelled.
 *
 * It is created here rather than with `@Processor`, whose worker options are fixed when the class
 * is declared: concurrency, lock duration and whether to run at all come from `forRootAsync`.
 */
@Injectable()
export class FanOutSliceWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker?: Worker<FanOutSliceData>;
  private readonly backlog = new SliceBacklog();

  constructor(
    @Inject(RTC_FAN_OUT_JOBS_OPTIONS) private readonly options: ResolvedFanOutJobsOptions,
    private readonly store: FanOutJobStore,
    @Inject(RTC_FAN_OUT_QUEUE) private readonly queue: Queue<FanOutSliceData>,
    private readonly unicast: UnicastService,
    /** The jobs' own Redis client: whether Redis is reachable at all, come shutdown. */
    @Inject(RTC_FAN_OUT_JOBS_REDIS) private readonly redis: Redis,
    private readonly errors: JobsErrorLog,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.worker) return;
    const { queueName, prefix, slicesPerWorker, recoverAfterMs, connection } = this.options;
    this.worker = new Worker<FanOutSliceData>(queueName, (job) => this.process(job), {
      connection: bullConnection(connection),
      ...(prefix === undefined ? {} : { prefix }),
      concurrency: slicesPerWorker,
      lockDuration: recoverAfterMs,
      stalledInterval: recoverAfterMs,
      maxStalledCount: MAX_STALLED,
      settings: { backoffStrategy: sliceBackoff },
    });
    // Without a listener an 'error' event would crash the process; Redis errors are retried.
    this.errors.watch(this.worker, 'Fan-out worker');
  }

  /**
   * Lets the slices in hand finish (and queue their successors) before the queue closes. With
   * Redis unreachable nothing can be recorded or handed back, and a graceful close would wait for
   * a connection that may never come: then it closes at once (a slice in hand is picked up again
   * by another worker, its calls on the wire reported `unknown`, as after a crash).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close(this.redis.status !== 'ready');
  }

  /** Sends one slice of a fan-out; throws (BullMQ retries it) when a recipient has no outcome. */
  private async process(job: Job<FanOutSliceData>): Promise<void> {
    const { jobId: id, slice } = job.data;
    // From its 20th attempt a slice records what it could not send `refused`, so the job ends.
    const lastAttempt = refusesUnsent(job.attemptsMade);
    // What the last run of this slice here could not write goes first (Redis was unreachable).
    await this.backlog.replay(this.store, id, slice);
    const spec = await this.store.spec(id);
    if (!spec) return; // It is gone (deleted, or its retention ran out): nothing is sent.
    const firstIndex = slice * spec.sliceSize;
    await this.store.beginSlice(id, slice, firstIndex);
    const state = await this.store.sliceState(id, slice);
    if (!state) return;
    const { ids, recorded } = state;

    const stop = new AbortController();
    const sentOffsets: number[] = [];
    const store = this.store;
    // Pulled by sendToMany only as a call slot frees, so the mark is written right before the
    // call it covers: at most `concurrency` recipients are marked and unrecorded at any time.
    async function* unsent(): AsyncGenerator<string> {
      for (let offset = 0; offset < ids.length && !stop.signal.aborted; offset++) {
        if (isRecorded(recorded, offset)) continue;
        const answer = await store.markInFlight(id, slice, offset);
        if (answer === MarkAnswer.Cancelled || answer === MarkAnswer.Gone) {
          stop.abort();
          return;
        }
        if (answer !== MarkAnswer.Marked) continue;
        sentOffsets.push(offset);
        yield ids[offset];
      }
    }
    // A cancel made elsewhere (or the job's keys deleted) also stops calls still waiting for
    // budget, not only the next pull.
    const watch = setInterval(() => {
      store.standing(id).then(
        (standing) => standing !== 'sending' && stop.abort(),
        () => undefined,
      );
    }, CANCEL_POLL_MS);
    try {
      await this.unicast.sendToMany(unsent(), spec.message, {
        binary: spec.binary,
        ...(spec.from === undefined ? {} : { from: spec.from }),
        ...(spec.appId === undefined ? {} : { appId: spec.appId }),
        concurrency: Math.max(
          1,
          Math.floor(this.options.concurrency / this.options.slicesPerWorker),
        ),
        signal: stop.signal,
        // Awaited: the call's slot stays taken until its outcome is in Redis.
        onResult: async (result) => {
          const offset = sentOffsets[result.index];
          if (notSentThisTime(result, lastAttempt)) {
            // Surely not sent, and not for anything about the recipient: it gets no outcome. It
            // is sent when the slice runs again (this run throws below), or, if the job ends
            // cancelled, counted `cancelled`.
            await this.store.release(id, slice, [offset]).catch(() => {
              this.backlog.release(id, slice, offset);
            });
            return;
          }
          const outcome: RecordedOutcome = {
            to: result.to,
            index: firstIndex + offset,
            status: result.status,
            ...(result.requestId === undefined ? {} : { requestId: result.requestId }),
            ...(result.reason === undefined ? {} : { reason: result.reason }),
          };
          try {
            await this.store.record(id, slice, offset, outcome);
          } catch (error) {
            this.backlog.outcome(id, slice, offset, outcome);
            throw error;
          }
        },
      });
    } finally {
      clearInterval(watch);
    }
    if (!stop.signal.aborted) {
      const missing = ids.length - (await this.store.recordedCount(id, slice));
      if (missing > 0) throw new Error(`${missing} recipients of the slice have no outcome yet`);
    }
    const next = await this.store.finishSlice(id, slice, spec);
    if (next >= 0) {
      await this.queue.add(
        FAN_OUT_SLICE_JOB,
        { jobId: id, slice: next },
        sliceJobOptions(id, next, this.options.retentionMs),
      );
    } else if (next === -2) {
      // The job has ended: from now on its keys count down its retention.
      await this.store.retain(id, spec.slices, this.options.retentionMs);
    }
  }
}

/**
 * Whether a result is a recipient to send again rather than an outcome: it surely was not sent,
 * and not because of the recipient or the upstream's answer (`refused` is kept for those: a
 * malformed id, an upstream refusal). A call stopped before it went out (a cancel, or the run
 * failing) is always sent again; one the budget or the transport could not send (Redis or the
 * upstream unreachable, shutting down) is, but on the slice's last attempt, where it is refused.
 */
function notSentThisTime(result: FanOutResult, lastAttempt: boolean): boolean {
  if (result.status !== 'refused') return false;
  if (result.reason === CANCELLED_REASON) return true;
  return (
    !lastAttempt &&
    !(result.error instanceof RtcValidationError) &&
    !(result.error instanceof RtcUpstreamError)
  );
}

/** Bit `offset` of a Redis bitmap (bit 0 is the most significant bit of byte 0). */
function isRecorded(bitmap: Buffer, offset: number): boolean {
  const byte = offset >> 3;
  return byte < bitmap.length && (bitmap[byte] & (0x80 >> (offset & 7))) !== 0;
}
