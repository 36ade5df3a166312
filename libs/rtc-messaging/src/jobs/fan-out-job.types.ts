import type { FanOutFailureSample, FanOutProgress } from '../unicast/fan-out.types';
import type { SendStatus } from '../unicast/send-status';

/**
 * What `FanOutJobs.create` does with a recipient id that breaks the id rule (1 to 128 characters
 * from `a-z A-Z 0-9 _ @ . -`):
 * - `refused` (default): the job is created and the id is recorded `refused` at once, with the
 *   rule as its reason; no worker ever reads it.
 * - `fail`: creation fails with an `RtcValidationError` naming each such id by its position
 *   (`to[3]`; the first 100, then one violation of `to` counting the rest), and nothing is kept.
 */
export type MalformedIdPolicy = 'refused' | 'fail';

/**
 * What `FanOutJobs.create` takes: the recipients (an array, an iterable or an async iterable, read
 * once, incrementally, and written to Redis in chunks) and the message, validated as
 * `UnicastService.sendToMany` validates it.
 *
 * @example
 * { to: userIdsFromCursor(), message: 'Maintenance at 02:00', from: 'ops_bot' }
 */
export interface CreateFanOutJobInput {
  /** The recipients' user ids, sent to in this order; an index in the results is a position here. */
  readonly to: readonly string[] | Iterable<string> | AsyncIterable<string>;
  /** Text (at most 64 KB in UTF-8), or base64 when `binary` is true. */
  readonly message: string;
  readonly binary?: boolean;
  /** The sender id; defaults to the messaging module's `from`. */
  readonly from?: string;
  /** The RTC AppId; defaults to the messaging module's `appId`. */
  readonly appId?: string;
  /**
   * Resend a recipient whose call was on the wire when its worker died (default `false`: it is
   * reported `unknown`, reason `interrupted`, and not resent, so no one gets the message twice).
   */
  readonly atLeastOnce?: boolean;
  /** What a malformed id does: recorded `refused` (default), or creation `fail`s naming it. */
  readonly malformedIds?: MalformedIdPolicy;
}

/** A job's id and how many recipients it holds. */
export interface CreatedFanOutJob {
  readonly id: string;
  readonly total: number;
}

/**
 * Where a job is: `queued` (no slice taken yet), `running`, `cancelling` (cancelled, calls in
 * flight completing), `completed` (every recipient has an outcome) or `cancelled`.
 */
export type FanOutJobState = 'queued' | 'running' | 'cancelling' | 'completed' | 'cancelled';

/**
 * A job's counts, as `FanOutJobs.progress` yields them.
 *
 * @example
 * for await (const p of jobs.progress(id)) bar.update(p.done / p.total);
 */
export interface FanOutJobProgress extends FanOutProgress {
  readonly id: string;
  readonly state: FanOutJobState;
  readonly total: number;
  /**
   * Recipients never sent because the job was cancelled first: 0 until a cancelled job ends,
   * then `total - done`. Once the job ends, `sent + refused + unknown + cancelled = total`.
   */
  readonly cancelled: number;
}

/**
 * A job as `FanOutJobs.get` reports it. Once it has ended (`completed` or `cancelled`),
 * `sent + refused + unknown + cancelled` equals `total`.
 */
export interface FanOutJob extends FanOutJobProgress {
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The first 100 refused recipients, in the order they were recorded. */
  readonly refusals: readonly FanOutFailureSample[];
  /** The first 100 recipients with an unknown outcome (`interrupted`: its worker died mid-call). */
  readonly unknowns: readonly FanOutFailureSample[];
}

/**
 * What became of one recipient of a job: a {@link SendStatus}, or `cancelled`: the job was
 * cancelled before this recipient was sent (it surely was not).
 */
export type FanOutJobStatus = SendStatus | 'cancelled';

/**
 * One recipient's outcome, as `FanOutJobs.results` yields them, in recipient order.
 *
 * @example
 * { to: 'user_1', index: 0, status: 'sent', requestId: '2024...' }
 */
export interface FanOutJobOutcome {
  readonly to: string;
  readonly index: number;
  readonly status: FanOutJobStatus;
  readonly requestId?: string;
  readonly reason?: string;
}

/**
 * What `FanOutJobs.cancel` answers: the job as it stands, and whether this call stopped it
 * (`false` when it had already ended: nothing changed).
 */
export interface FanOutJobCancellation {
  readonly stopped: boolean;
  readonly job: FanOutJob;
}

/** What a queued BullMQ job of the fan-out queue carries: one slice of one fan-out. */
export interface FanOutSliceData {
  readonly jobId: string;
  readonly slice: number;
}
