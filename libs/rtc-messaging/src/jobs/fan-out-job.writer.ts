import { setImmediate } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { allJobKeys, encodeStoredId, jobKey } from './fan-out-job.keys';
import { MAX_JOB_SAMPLES, outcomeLine } from './fan-out-job.outcome-line';
import type { FanOutJobStore, StoredJobSpec } from './fan-out-job.store';

/** Ids per write: one `RPUSH` of about 10 KB for ids of a few characters. */
const IDS_PER_WRITE = 1_000;

/**
 * Writes sent without waiting for their answer: enough to keep the connection busy while the
 * input is read, few enough that an input faster than Redis is held back (flat memory).
 */
const WRITES_IN_FLIGHT = 8;

/**
 * How long the keys of a job being created live if its creation never ends (the process died
 * mid-way). `seal` lifts it; a creation that takes longer fails there, naming this limit.
 */
export const CREATION_LEASE_MS = 60 * 60 * 1_000;

/** A recipient refused at creation: its id breaks the id rule. */
interface CreationRefusal {
  readonly offset: number;
  readonly to: string;
  readonly index: number;
  readonly reason: string;
}

/**
 * The keys of one job being created, written as the recipients are read: each slice's `ids`
 * list in chunks of {@link IDS_PER_WRITE}, pipelined, and the outcome of each recipient refused
 * at creation (its bit in `rec`, its line in `out`, a sample in `refusals`). Everything it writes
 * lives for {@link CREATION_LEASE_MS} until `seal`; `discard` removes it all.
 */
export class FanOutJobWriter {
  /** Recipients pushed so far. */
  total = 0;
  /** Recipients refused at creation so far. */
  refused = 0;
  private ids: string[] = [];
  private refusals: CreationRefusal[] = [];
  private samplesKept = 0;
  private readonly inFlight: Promise<void>[] = [];
  /** Slices that have `rec` and `out` keys (a recipient refused at creation). */
  private readonly slicesWithOutcomes = new Set<number>();

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    readonly id: string,
    private readonly sliceSize: number,
  ) {}

  /** How many slices the recipients pushed so far fill. */
  get slices(): number {
    return Math.ceil(this.total / this.sliceSize);
  }

  private key(name: string): string {
    return jobKey(this.keyPrefix, this.id, name);
  }

  /**
   * Appends a recipient; with `refusal`, it is recorded `refused` for that reason at once.
   * Resolves when the input may be read further (fewer than {@link WRITES_IN_FLIGHT} writes wait).
   */
  async push(to: string, refusal?: string): Promise<void> {
    const offset = this.total % this.sliceSize;
    if (refusal !== undefined) {
      this.refusals.push({ offset, to, index: this.total, reason: refusal });
      this.refused++;
    }
    this.ids.push(encodeStoredId(to));
    this.total++;
    // A chunk never spans two slices: each write goes to one slice's keys.
    if (this.ids.length === IDS_PER_WRITE || offset === this.sliceSize - 1) await this.write();
  }

  /** Sends the chunk read so far, and waits for the oldest write when too many are in flight. */
  private async write(): Promise<void> {
    if (this.ids.length === 0) return;
    const slice = Math.floor((this.total - 1) / this.sliceSize);
    const pipeline = this.redis.pipeline();
    const ids = this.key(`ids:${slice}`);
    pipeline.rpush(ids, ...this.ids).pexpire(ids, CREATION_LEASE_MS);
    if (this.refusals.length > 0) {
      const [rec, out, samples] = [`rec:${slice}`, `out:${slice}`, 'refusals'].map((n) =>
        this.key(n),
      );
      this.slicesWithOutcomes.add(slice);
      for (const { offset, to, index, reason } of this.refusals) {
        pipeline.setbit(rec, offset, 1).append(out, outcomeLine(offset, 'refused', reason));
        if (this.samplesKept < MAX_JOB_SAMPLES) {
          pipeline.rpush(samples, JSON.stringify({ to, index, reason }));
          this.samplesKept++;
        }
      }
      pipeline.pexpire(rec, CREATION_LEASE_MS).pexpire(out, CREATION_LEASE_MS);
      pipeline.pexpire(samples, CREATION_LEASE_MS);
    }
    this.ids = [];
    this.refusals = [];
    const written = pipeline.exec().then((results) => void failOnError(results));
    // Marked handled now; its error is rethrown when it is awaited below or in `drain`.
    written.catch(() => undefined);
    this.inFlight.push(written);
    if (this.inFlight.length >= WRITES_IN_FLIGHT) await this.inFlight.shift();
    // A fast input (an array, a generator) never waits for I/O between two chunks: let the
    // event loop serve the process's other work (requests, a worker's calls) once per chunk.
    else await setImmediate();
  }

  /** Sends what is left and waits for every write; rejects with the first that failed. */
  async drain(): Promise<void> {
    await this.write();
    const writes = this.inFlight.splice(0);
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Writes the job's description (`meta`), under the creation lease: from here `get` and the
   * workers see the job. A job that `ended` at creation (nothing to send) is `completed` at once.
   */
  async writeMeta(
    spec: StoredJobSpec,
    { createdAt, refused, ended }: { createdAt: number; refused: number; ended: boolean },
  ): Promise<void> {
    const fields: Record<string, string | number> = {
      total: spec.total,
      slices: spec.slices,
      sliceSize: spec.sliceSize,
      lanes: spec.lanes,
      message: spec.message,
      binary: spec.binary ? 1 : 0,
      atLeastOnce: spec.atLeastOnce ? 1 : 0,
      state: ended ? 'completed' : 'queued',
      createdAt,
      done: refused,
      sent: 0,
      refused,
      unknown: 0,
      cancelled: 0,
    };
    if (spec.retentionMs !== undefined) fields.retentionMs = spec.retentionMs;
    if (spec.from !== undefined) fields.from = spec.from;
    if (spec.appId !== undefined) fields.appId = spec.appId;
    if (ended) {
      fields.startedAt = createdAt;
      fields.finishedAt = createdAt;
    }
    await this.redis
      .multi()
      .hset(this.key('meta'), fields)
      .pexpire(this.key('meta'), CREATION_LEASE_MS)
      .exec()
      .then(failOnError);
  }

  /**
   * Ends the creation: the lease is lifted (a running job's keys never expire), or, for a job
   * that ended at creation, replaced by its retention: every key expires at `expiresAt` (ms).
   * Atomic per batch of keys against the job's end, so a worker that already ended the job (and
   * set its retention) keeps it. `meta` goes last: the job is whole before it is kept.
   * @throws Error when a key is gone: the creation outlasted its lease
   */
  async seal(store: FanOutJobStore, expiresAt?: number): Promise<void> {
    const keys = [...this.idKeys()];
    if (this.samplesKept > 0) keys.push(this.key('refusals'));
    for (const slice of this.slicesWithOutcomes) {
      keys.push(this.key(`rec:${slice}`), this.key(`out:${slice}`));
    }
    let gone = 0;
    for (let i = 0; i === 0 || i < keys.length; i += IDS_PER_WRITE) {
      const last = i + IDS_PER_WRITE >= keys.length;
      const answer = await store.seal(this.id, keys.slice(i, i + IDS_PER_WRITE), expiresAt, last);
      gone += answer < 0 ? 1 : answer;
    }
    if (gone > 0) {
      throw new Error(
        `The fan-out job's creation outlasted its lease (${CREATION_LEASE_MS / 60_000} minutes): ${gone} of its keys are gone`,
      );
    }
  }

  private *idKeys(): Generator<string> {
    for (let slice = 0; slice < this.slices; slice++) yield this.key(`ids:${slice}`);
  }

  /** Removes everything written for the job, once the writes in flight have landed. */
  async discard(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
    const keys = [...allJobKeys(this.keyPrefix, this.id, this.slices)];
    for (let i = 0; i < keys.length; i += IDS_PER_WRITE) {
      await this.redis.del(...keys.slice(i, i + IDS_PER_WRITE));
    }
  }
}

/** The answers of a pipeline or transaction, or the first error among them. */
function failOnError(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('The Redis transaction was discarded');
  const error = results.find(([e]) => e)?.[0];
  if (error) throw error;
  return results.map(([, answer]) => answer);
}
