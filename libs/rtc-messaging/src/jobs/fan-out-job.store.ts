import type { Redis } from 'ioredis';
import type { FanOutFailureSample } from '../unicast/fan-out.types';
import { allJobKeys, decodeStoredId, jobKey } from './fan-out-job.keys';
import type { SendStatus } from '../unicast/send-status';
import { MAX_JOB_SAMPLES, outcomeLine, parseOutcomeLine } from './fan-out-job.outcome-line';
import {
  BEGIN_SLICE,
  CANCEL_JOB,
  FINISH_SLICE,
  MARK_IN_FLIGHT,
  RECORD_OUTCOME,
  SEAL_JOB,
} from './fan-out-job.scripts';
import type {
  FanOutJob,
  FanOutJobOutcome,
  FanOutJobProgress,
  FanOutJobState,
} from './fan-out-job.types';

/** An outcome a worker records: never `cancelled`, which is what a recipient without one is. */
export type RecordedOutcome = FanOutJobOutcome & { readonly status: SendStatus };

/** `reason` of a recipient whose call was on the wire when its worker died. */
export const INTERRUPTED_REASON = 'interrupted: its worker stopped while the call was in flight';

export { MAX_JOB_SAMPLES };

/** Answers of {@link FanOutJobStore.markInFlight}. */
export const MarkAnswer = {
  Gone: -1,
  Cancelled: 0,
  Marked: 1,
  Recorded: 2,
  InFlightElsewhere: 3,
} as const;
export type MarkAnswer = (typeof MarkAnswer)[keyof typeof MarkAnswer];

/** What a job was created with, as a worker needs it. */
export interface StoredJobSpec {
  readonly total: number;
  readonly slices: number;
  readonly sliceSize: number;
  readonly lanes: number;
  readonly message: string;
  readonly binary: boolean;
  readonly from?: string;
  readonly appId?: string;
  readonly atLeastOnce: boolean;
  /** How long the job is kept once it has ended, in ms (the creating instance's `retentionMs`). */
  readonly retentionMs?: number;
}

/** Whether a job may still send: `gone` when it has no `meta` (deleted, or its retention ran out). */
export type JobStanding = 'sending' | 'cancelled' | 'gone';

/** Ids are ours (UUIDs); anything else is unknown, and never reaches a key name. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Scripted = Redis & {
  rtcFanOutMark(...args: (string | number)[]): Promise<number>;
  rtcFanOutRecord(...args: (string | number)[]): Promise<number>;
  rtcFanOutBegin(...args: (string | number)[]): Promise<number>;
  rtcFanOutFinish(...args: (string | number)[]): Promise<number>;
  rtcFanOutCancel(...args: (string | number)[]): Promise<number>;
  rtcFanOutSeal(numberOfKeys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * A job's recipients, outcomes and checkpoint in plain Redis structures (BullMQ holds the queue):
 * - `meta` (hash): what the job sends, its counts and state;
 * - `ids:<slice>` (list): the slice's recipient ids, each as a JSON string, written once
 *   (`FanOutJobWriter`), so a script reads the one it needs with `LINDEX`;
 * - `out:<slice>` (string): one line per outcome, appended as outcomes are recorded;
 * - `rec:<slice>` (bitmap): which recipients of the slice have an outcome;
 * - `fly:<slice>` (set): recipients on their way to the upstream, written before each call;
 * - `refusals`, `unknowns` (lists): the first samples; `lanes` (set): lanes that are through.
 * So a job takes about the size of its ids plus its outcome lines. Keys of a job that has not
 * ended never expire; once it ends (completed or cancelled), every key expires `retentionMs`
 * after its `finishedAt`.
 */
export class FanOutJobStore {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    this.redis = redis as Scripted;
    const define = (name: string, numberOfKeys: number | undefined, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
    };
    define('rtcFanOutMark', 3, MARK_IN_FLIGHT);
    define('rtcFanOutRecord', 5, RECORD_OUTCOME);
    define('rtcFanOutBegin', 6, BEGIN_SLICE);
    define('rtcFanOutFinish', 2, FINISH_SLICE);
    define('rtcFanOutCancel', 1, CANCEL_JOB);
    // As many keys as the call gives (its first argument).
    define('rtcFanOutSeal', undefined, SEAL_JOB);
  }

  /** Whether `id` can name a job at all (so it is safe in a key name). */
  static isJobId(id: unknown): id is string {
    return typeof id === 'string' && JOB_ID.test(id);
  }

  /** The client and key prefix, for the `FanOutJobWriter` of a new job. */
  get connection(): { readonly redis: Redis; readonly keyPrefix: string } {
    return { redis: this.redis, keyPrefix: this.keyPrefix };
  }

  /**
   * Ends a job's creation for `keys` (see `SEAL_JOB`): lifts their lease, or sets them to expire
   * at `expiresAt`; with `withMeta`, `meta` too. Resolves how many are gone, -1 if `meta` is.
   */
  seal(id: string, keys: readonly string[], expiresAt?: number, withMeta = false): Promise<number> {
    return this.redis.rtcFanOutSeal(
      keys.length + 1,
      this.key(id, 'meta'),
      ...keys,
      expiresAt ?? '',
      withMeta ? '1' : '',
    );
  }

  private key(id: string, name: string): string {
    return jobKey(this.keyPrefix, id, name);
  }

  /** The job's description, or `undefined` when there is no such job (or it expired). */
  async spec(id: string): Promise<StoredJobSpec | undefined> {
    const [total, slices, sliceSize, lanes, message, binary, from, appId, atLeastOnce, retention] =
      await this.redis.hmget(
        this.key(id, 'meta'),
        'total',
        'slices',
        'sliceSize',
        'lanes',
        'message',
        'binary',
        'from',
        'appId',
        'atLeastOnce',
        'retentionMs',
      );
    if (total === null || message === null) return undefined;
    return {
      total: Number(total),
      slices: Number(slices),
      sliceSize: Number(sliceSize),
      lanes: Number(lanes),
      message,
      binary: binary === '1',
      ...(from === null ? {} : { from }),
      ...(appId === null ? {} : { appId }),
      atLeastOnce: atLeastOnce === '1',
      ...(retention === null ? {} : { retentionMs: Number(retention) }),
    };
  }

  /** The job's counts and state, or `undefined` when there is no such job. */
  async progress(id: string): Promise<FanOutJobProgress | undefined> {
    if (!FanOutJobStore.isJobId(id)) return undefined;
    const [total, state, done, sent, refused, unknown, cancelled] = await this.redis.hmget(
      this.key(id, 'meta'),
      'total',
      'state',
      'done',
      'sent',
      'refused',
      'unknown',
      'cancelled',
    );
    if (total === null || state === null) return undefined;
    return {
      id,
      state: state as FanOutJobState,
      total: Number(total),
      done: Number(done),
      sent: Number(sent),
      refused: Number(refused),
      unknown: Number(unknown),
      cancelled: Number(cancelled ?? 0),
    };
  }

  /** The whole job report, or `undefined` when there is no such job. */
  async job(id: string): Promise<FanOutJob | undefined> {
    if (!FanOutJobStore.isJobId(id)) return undefined;
    const [[, meta], [, refusals], [, unknowns]] = (await this.redis
      .multi()
      .hgetall(this.key(id, 'meta'))
      .lrange(this.key(id, 'refusals'), 0, -1)
      .lrange(this.key(id, 'unknowns'), 0, -1)
      .exec()) as [[null, Record<string, string>], [null, string[]], [null, string[]]];
    if (meta.total === undefined) return undefined;
    const time = (ms: string | undefined) =>
      ms === undefined ? undefined : new Date(Number(ms)).toISOString();
    const startedAt = time(meta.startedAt);
    const finishedAt = time(meta.finishedAt);
    return {
      id,
      state: meta.state as FanOutJobState,
      total: Number(meta.total),
      done: Number(meta.done),
      sent: Number(meta.sent),
      refused: Number(meta.refused),
      unknown: Number(meta.unknown),
      cancelled: Number(meta.cancelled ?? 0),
      createdAt: time(meta.createdAt) as string,
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
      refusals: refusals.map((s) => JSON.parse(s) as FanOutFailureSample),
      unknowns: unknowns.map((s) => JSON.parse(s) as FanOutFailureSample),
    };
  }

  /** Stops a job; see `CANCEL_JOB`. `undefined` when there is no such job. */
  async cancel(id: string): Promise<'cancelled' | 'finished' | undefined> {
    if (!FanOutJobStore.isJobId(id)) return undefined;
    const answer = await this.redis.rtcFanOutCancel(this.key(id, 'meta'), Date.now());
    return answer === 1 ? 'cancelled' : answer === 0 ? 'finished' : undefined;
  }

  /** Whether the job may still send: not once it is cancelled, nor once it is gone. */
  async standing(id: string): Promise<JobStanding> {
    const [[, exists], [, cancelRequested]] = (await this.redis
      .multi()
      .exists(this.key(id, 'meta'))
      .hget(this.key(id, 'meta'), 'cancelRequested')
      .exec()) as [[null, number], [null, string | null]];
    return exists === 0 ? 'gone' : cancelRequested === '1' ? 'cancelled' : 'sending';
  }

  /** Takes a slice: settles what its last worker left in flight (see `BEGIN_SLICE`). */
  async beginSlice(id: string, slice: number, firstIndex: number): Promise<number> {
    return this.redis.rtcFanOutBegin(
      this.key(id, 'meta'),
      this.key(id, `fly:${slice}`),
      this.key(id, `rec:${slice}`),
      this.key(id, `out:${slice}`),
      this.key(id, 'unknowns'),
      this.key(id, `ids:${slice}`),
      Date.now(),
      firstIndex,
      MAX_JOB_SAMPLES,
      INTERRUPTED_REASON,
    );
  }

  /** The slice's ids, and which of them already have an outcome. */
  async sliceState(
    id: string,
    slice: number,
  ): Promise<{ ids: string[]; recorded: Buffer } | undefined> {
    const [[, ids], [, recorded]] = (await this.redis
      .multi()
      .lrange(this.key(id, `ids:${slice}`), 0, -1)
      .getBuffer(this.key(id, `rec:${slice}`))
      .exec()) as [[null, string[]], [null, Buffer | null]];
    if (ids.length === 0) return undefined;
    return { ids: ids.map(decodeStoredId), recorded: recorded ?? Buffer.alloc(0) };
  }

  /** Before a recipient's call goes on the wire: see `MARK_IN_FLIGHT`. */
  async markInFlight(id: string, slice: number, offset: number): Promise<MarkAnswer> {
    return (await this.redis.rtcFanOutMark(
      this.key(id, 'meta'),
      this.key(id, `fly:${slice}`),
      this.key(id, `rec:${slice}`),
      offset,
    )) as MarkAnswer;
  }

  /** Records a recipient's outcome once; see `RECORD_OUTCOME`. */
  async record(id: string, slice: number, offset: number, outcome: RecordedOutcome): Promise<void> {
    const value = outcome.status === 'sent' ? (outcome.requestId ?? '') : (outcome.reason ?? '');
    const line = outcomeLine(offset, outcome.status, value);
    const sample =
      outcome.status === 'sent'
        ? ''
        : JSON.stringify({ to: outcome.to, index: outcome.index, reason: value });
    await this.redis.rtcFanOutRecord(
      this.key(id, 'meta'),
      this.key(id, `out:${slice}`),
      this.key(id, `rec:${slice}`),
      this.key(id, `fly:${slice}`),
      this.key(id, outcome.status === 'refused' ? 'refusals' : 'unknowns'),
      offset,
      outcome.status,
      line,
      sample,
      MAX_JOB_SAMPLES,
    );
  }

  /**
   * A recipient marked in flight whose call surely did not go out (it was cancelled while it
   * waited for budget): it has no outcome, and is sent when the slice runs again (or counted
   * `cancelled` when the job ends cancelled). SREM never creates a key.
   */
  async release(id: string, slice: number, offsets: Iterable<number>): Promise<void> {
    const members = [...offsets];
    if (members.length > 0) await this.redis.srem(this.key(id, `fly:${slice}`), ...members);
  }

  /** How many recipients of the slice have an outcome. */
  recordedCount(id: string, slice: number): Promise<number> {
    return this.redis.bitcount(this.key(id, `rec:${slice}`));
  }

  /** Through with a slice; see `FINISH_SLICE`. */
  finishSlice(id: string, slice: number, spec: StoredJobSpec): Promise<number> {
    return this.redis.rtcFanOutFinish(
      this.key(id, 'meta'),
      this.key(id, 'lanes'),
      slice,
      spec.lanes,
      spec.slices,
      Date.now(),
    );
  }

  /**
   * Sets every key of an ended job to expire `retentionMs` (the job's own, else `fallbackMs`)
   * after its `finishedAt`: an absolute time, so doing it again (a slice finished twice) changes
   * nothing. Nothing for a job that is gone or has not ended.
   */
  async retain(id: string, slices: number, fallbackMs: number): Promise<void> {
    const [finishedAt, retentionMs] = await this.redis.hmget(
      this.key(id, 'meta'),
      'finishedAt',
      'retentionMs',
    );
    if (finishedAt === null) return;
    const expiresAt = Number(finishedAt) + Number(retentionMs ?? fallbackMs);
    let pipeline = this.redis.pipeline();
    for (const key of allJobKeys(this.keyPrefix, id, slices)) {
      pipeline.pexpireat(key, expiresAt);
      if (pipeline.length >= 1_000) {
        await pipeline.exec();
        pipeline = this.redis.pipeline();
      }
    }
    await pipeline.exec();
  }

  /**
   * Every recorded outcome, slice by slice, in recipient order. With `fillCancelled` (the job
   * ended cancelled), a recipient without an outcome is yielded `cancelled`: one line for each.
   */
  async *outcomes(
    id: string,
    slices: number,
    sliceSize: number,
    fillCancelled = false,
  ): AsyncGenerator<FanOutJobOutcome> {
    for (let slice = 0; slice < slices; slice++) {
      const [[, stored], [, outText]] = (await this.redis
        .multi()
        .lrange(this.key(id, `ids:${slice}`), 0, -1)
        .get(this.key(id, `out:${slice}`))
        .exec()) as [[null, string[]], [null, string | null]];
      if (stored.length === 0) return;
      const byOffset = new Array<FanOutJobOutcome | undefined>(stored.length);
      for (const line of (outText ?? '').split('\n')) {
        if (line === '') continue;
        const { offset, status, value } = parseOutcomeLine(line);
        // The first line for a recipient is its outcome (a record is appended only once).
        if (byOffset[offset]) continue;
        const to = decodeStoredId(stored[offset]);
        const index = slice * sliceSize + offset;
        byOffset[offset] =
          status === 'sent'
            ? { to, index, status, ...(value ? { requestId: value } : {}) }
            : { to, index, status, reason: value };
      }
      for (let offset = 0; offset < stored.length; offset++) {
        const outcome = byOffset[offset];
        if (outcome) yield outcome;
        else if (fillCancelled) {
          const to = decodeStoredId(stored[offset]);
          yield { to, index: slice * sliceSize + offset, status: 'cancelled' };
        }
      }
    }
  }
}
