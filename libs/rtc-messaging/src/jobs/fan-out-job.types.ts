import type { FanOutFailureSample, FanOutProgress } from '../unicast/fan-out.types';
import type { SendStatus } from '../unicast/send-status';

/**
 * What `FanOutJobs.create` takes: the recipients (an array, an iterable or an async iterable, read
 * once, in chunks) and the message, validated as `UnicastService.sendToMany` validates it.
 *
 * @example
 * { recipients: userIdsFromCursor(), message: 'Maintenance at 02:00', from: 'ops_bot' }
 */
export interface CreateFanOutJobInput {
  readonly recipients: Iterable<string> | AsyncIterable<string>;
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
}

/**
 * A job as `FanOutJobs.get` reports it. When it is `completed`, `sent + refused + unknown` equals
 * `total`; when `cancelled`, the `total - done` recipients left were never sent.
 */
export interface FanOutJob extends FanOutJobProgress {
  /** `true` once `cancel` was called before the job finished. */
  readonly cancelled: boolean;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The first 100 refused recipients, in the order they were recorded. */
  readonly refusals: readonly FanOutFailureSample[];
  /** The first 100 recipients with an unknown outcome (`interrupted`: its worker died mid-call). */
  readonly unknowns: readonly FanOutFailureSample[];
}

/**
 * One recipient's outcome, as `FanOutJobs.results` yields them, in recipient order.
 *
 * @example
 * { to: 'user_1', index: 0, status: 'sent', requestId: '2024...' }
 */
export interface FanOutJobOutcome {
  readonly to: string;
  readonly index: number;
  readonly status: SendStatus;
  readonly requestId?: string;
  readonly reason?: string;
}

/** What a queued BullMQ job of the fan-out queue carries: one slice of one fan-out. */
export interface FanOutSliceData {
  readonly jobId: string;
  readonly slice: number;
}
