import type { Redis } from 'ioredis';
import type { FanOutFailureSample } from '../unicast/fan-out.types';
import type { SendStatus } from '../unicast/send-status';
import {
  BEGIN_SLICE,
  CANCEL_JOB,
  FINISH_SLICE,
  MARK_IN_FLIGHT,
  RECORD_OUTCOME,
} from './fan-out-job.scripts';
import type {
  FanOutJob,
  FanOutJobOutcome,
  FanOutJobProgress,
  FanOutJobState,
} from './fan-out-job.types';

/** `reason` of a recipient whose call was on the wire when its worker died. */
export const INTERRUPTED_REASON = 'interrupted: its worker stopped while the call was in flight';

/** Refused and unknown recipients a job keeps as samples for `get`. */
export const MAX_JOB_SAMPLES = 100;

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
}

/** Ids are ours (UUIDs); anything else is unknown, and never reaches a key name. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const STATUS_LETTER: Record<SendStatus, string> = { sent: 's', refused: 'r', unknown: 'u' };
const LETTER_STATUS: Record<string, SendStatus> = { s: 'sent', r: 'refused', u: 'unknown' };

type Scripted = Redis & {
  rtcFanOutMark(...args: (string | number)[]): Promise<number>;
  rtcFanOutRecord(...args: (string | number)[]): Promise<number>;
  rtcFanOutBegin(...args: (string | number)[]): Promise<number>;
  rtcFanOutFinish(...args: (string | number)[]): Promise<number>;
  rtcFanOutCancel(...args: (string | number)[]): Promise<number>;
};

/**
 * A job's recipients, outcomes and checkpoint in plain Redis structures (BullMQ holds the queue):
 * - `meta` (hash): what the job sends, its counts and state;
 * - `ids:<slice>` (string): the slice's recipient ids as a JSON array, written once;
 * - `out:<slice>` (string): one line per outcome, appended as outcomes are recorded;
 * - `rec:<slice>` (bitmap): which recipients of the slice have an outcome;
 * - `fly:<slice>` (set): recipients on their way to the upstream, written before each call;
 * - `refusals`, `unknowns` (lists): the first samples; `lanes` (set): lanes that are through.
 * So a job takes about the size of its ids plus its outcome lines, and every key expires with
 * the job's retention.
 */
export class FanOutJobStore {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    this.redis = redis as Scripted;
    const define = (name: string, numberOfKeys: number, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
    };
    define('rtcFanOutMark', 3, MARK_IN_FLIGHT);
    define('rtcFanOutRecord', 5, RECORD_OUTCOME);
    define('rtcFanOutBegin', 6, BEGIN_SLICE);
    define('rtcFanOutFinish', 2, FINISH_SLICE);
    define('rtcFanOutCancel', 1, CANCEL_JOB);
  }

  /** Whether `id` can name a job at all (so it is safe in a key name). */
  static isJobId(id: unknown): id is string {
    return typeof id === 'string' && JOB_ID.test(id);
  }

  private key(id: string, name: string): string {
    return `${this.keyPrefix}:{${id}}:${name}`;
  }

  /** Writes one slice's ids; they expire with the job unless it finishes later. */
  async writeIds(id: string, slice: number, ids: readonly string[], ttlMs: number): Promise<void> {
    await this.redis.set(this.key(id, `ids:${slice}`), JSON.stringify(ids), 'PX', ttlMs);
  }

  /** Writes the job's description, which makes it visible to `get` and workers. */
  async writeMeta(
    id: string,
    spec: StoredJobSpec,
    state: FanOutJobState,
    createdAt: number,
    ttlMs: number,
  ): Promise<void> {
    const fields: Record<string, string | number> = {
      total: spec.total,
      slices: spec.slices,
      sliceSize: spec.sliceSize,
      lanes: spec.lanes,
      message: spec.message,
      binary: spec.binary ? 1 : 0,
      atLeastOnce: spec.atLeastOnce ? 1 : 0,
      state,
      createdAt,
      done: 0,
      sent: 0,
      refused: 0,
      unknown: 0,
    };
    if (spec.from !== undefined) fields.from = spec.from;
    if (spec.appId !== undefined) fields.appId = spec.appId;
    if (state === 'completed') {
      fields.startedAt = createdAt;
      fields.finishedAt = createdAt;
    }
    await this.redis
      .multi()
      .hset(this.key(id, 'meta'), fields)
      .pexpire(this.key(id, 'meta'), ttlMs)
      .exec();
  }

  /** Removes what a job creation that failed half-way wrote. */
  async discard(id: string, slices: number): Promise<void> {
    const keys = [this.key(id, 'meta')];
    for (let slice = 0; slice < slices; slice++) keys.push(this.key(id, `ids:${slice}`));
    for (let i = 0; i < keys.length; i += 1_000) await this.redis.del(...keys.slice(i, i + 1_000));
  }

  /** The job's description, or `undefined` when there is no such job (or it expired). */
  async spec(id: string): Promise<StoredJobSpec | undefined> {
    const [total, slices, sliceSize, lanes, message, binary, from, appId, atLeastOnce] =
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
    };
  }

  /** The job's counts and state, or `undefined` when there is no such job. */
  async progress(id: string): Promise<FanOutJobProgress | undefined> {
    if (!FanOutJobStore.isJobId(id)) return undefined;
    const [total, state, done, sent, refused, unknown] = await this.redis.hmget(
      this.key(id, 'meta'),
      'total',
      'state',
      'done',
      'sent',
      'refused',
      'unknown',
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
      cancelled: meta.cancelRequested === '1',
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

  /** Whether `cancel` was called. */
  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.hget(this.key(id, 'meta'), 'cancelRequested')) === '1';
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
      .get(this.key(id, `ids:${slice}`))
      .getBuffer(this.key(id, `rec:${slice}`))
      .exec()) as [[null, string | null], [null, Buffer | null]];
    if (ids === null) return undefined;
    return { ids: JSON.parse(ids) as string[], recorded: recorded ?? Buffer.alloc(0) };
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
  async record(
    id: string,
    slice: number,
    offset: number,
    outcome: FanOutJobOutcome,
  ): Promise<void> {
    const value = outcome.status === 'sent' ? (outcome.requestId ?? '') : (outcome.reason ?? '');
    const line = `${offset}\t${STATUS_LETTER[outcome.status]}\t${JSON.stringify(value)}\n`;
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

  /** Keeps every key of a finished job for `ttlMs` from now. */
  async retain(id: string, slices: number, ttlMs: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const name of ['meta', 'refusals', 'unknowns', 'lanes']) {
      pipeline.pexpire(this.key(id, name), ttlMs);
    }
    for (let slice = 0; slice < slices; slice++) {
      for (const name of ['ids', 'out', 'rec', 'fly']) {
        pipeline.pexpire(this.key(id, `${name}:${slice}`), ttlMs);
      }
    }
    await pipeline.exec();
  }

  /** Every recorded outcome, slice by slice, in recipient order. */
  async *outcomes(id: string, slices: number, sliceSize: number): AsyncGenerator<FanOutJobOutcome> {
    for (let slice = 0; slice < slices; slice++) {
      const [[, idsText], [, outText]] = (await this.redis
        .multi()
        .get(this.key(id, `ids:${slice}`))
        .get(this.key(id, `out:${slice}`))
        .exec()) as [[null, string | null], [null, string | null]];
      if (idsText === null) return;
      const ids = JSON.parse(idsText) as string[];
      const byOffset = new Array<FanOutJobOutcome | undefined>(ids.length);
      for (const line of (outText ?? '').split('\n')) {
        if (line === '') continue;
        const [offsetText, letter, value] = line.split('\t', 3);
        const offset = Number(offsetText);
        // The first line for a recipient is its outcome (a record is appended only once).
        if (byOffset[offset]) continue;
        const status = LETTER_STATUS[letter];
        const text = JSON.parse(value) as string;
        const to = ids[offset];
        const index = slice * sliceSize + offset;
        byOffset[offset] =
          status === 'sent'
            ? { to, index, status, ...(text ? { requestId: text } : {}) }
            : { to, index, status, reason: text };
      }
      for (const outcome of byOffset) if (outcome) yield outcome;
    }
  }
}
