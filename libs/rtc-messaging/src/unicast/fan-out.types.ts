import type { MessageOptionsDto } from '../validation';
import type { SendStatus } from './send-status';

/**
 * The outcome of one recipient of a fan-out, streamed to `onResult` as soon as it is known.
 *
 * @example
 * onResult: (r) => {
 *   if (r.status === 'unknown') log.warn(`${r.to} may have the message already: ${r.reason}`);
 * }
 */
export interface FanOutResult {
  /** The recipient, as the iterable gave it. */
  readonly to: string;
  /** Its position in the iterable, from 0. */
  readonly index: number;
  readonly status: SendStatus;
  /** `ResponseMetadata.RequestId` of an accepted message. */
  readonly requestId?: string;
  /** What the call threw (`refused` / `unknown`): an `RtcError`, or the signal's reason. */
  readonly error?: unknown;
  /** One line saying why (`refused` / `unknown`), fit for logs and HTTP answers. */
  readonly reason?: string;
}

/**
 * Running counts of a fan-out, given to `onProgress`.
 *
 * @example
 * onProgress: ({ done, sent }) => bar.update(done, { sent })
 */
export interface FanOutProgress {
  /** Recipients attempted and settled so far: `sent + refused + unknown`. */
  readonly done: number;
  readonly sent: number;
  readonly refused: number;
  readonly unknown: number;
}

/**
 * A recipient that was not (or maybe not) delivered, as kept in the summary's samples.
 *
 * @example
 * summary.refusals.forEach(({ to, reason }) => console.warn(`${to}: ${reason}`));
 */
export interface FanOutFailureSample {
  readonly to: string;
  readonly index: number;
  readonly reason: string;
}

/**
 * What a fan-out did. The counts cover every recipient attempted; the samples are bounded (the
 * first `maxSamples` of each kind), so the summary stays small however long the list: when
 * `refusals.length < refused`, the rest were only reported through `onResult`.
 *
 * Every recipient that was not reported through `onResult` was not sent.
 *
 * @example
 * const summary = await unicast.sendToMany(ids, 'Maintenance at 02:00');
 * if (summary.unknown > 0) console.warn(`${summary.unknown} may or may not have the message`);
 */
export interface FanOutSummary extends FanOutProgress {
  /** The first `maxSamples` refused recipients, in the order they settled. */
  readonly refusals: readonly FanOutFailureSample[];
  /** The first `maxSamples` recipients with an unknown outcome, in the order they settled. */
  readonly unknowns: readonly FanOutFailureSample[];
  /**
   * `true` when the signal was aborted before the run ended: recipients after the last one
   * reported were never attempted, and those still waiting for budget were `refused`.
   */
  readonly cancelled: boolean;
  /** Wall time of the run, in milliseconds. */
  readonly elapsedMs: number;
}

/**
 * Sends to one recipient; resolves with the upstream's RequestId, rejects with what went wrong.
 * `index` is the recipient's position; `signal` is the run's, to cancel a wait for budget.
 *
 * @example
 * const send: FanOutSend = async (to, _index, signal) =>
 *   dispatcher.dispatch('SendUnicast', { ...body, To: to }, signal);
 */
export type FanOutSend = (
  to: string,
  index: number,
  signal: AbortSignal | undefined,
) => Promise<{ readonly requestId?: string }>;

/**
 * How a fan-out runs and reports.
 *
 * @example
 * { concurrency: 16, signal: AbortSignal.timeout(60_000), onResult: (r) => audit.write(r) }
 */
export interface FanOutOptions {
  /** Most calls in flight (waiting for budget included), 1 to 1,000. Default 32. */
  readonly concurrency?: number;
  /**
   * Stops the run: no further recipient is pulled; calls waiting for budget give up (`refused`,
   * reason `cancelled before it was sent`); calls already on the wire complete and are reported.
   */
  readonly signal?: AbortSignal;
  /**
   * Called once per attempted recipient, as soon as its outcome is known. When it returns a
   * promise, that call's slot stays taken until it settles, so a slow consumer slows the run
   * instead of piling up results. If it throws, the run stops as if cancelled, the calls in
   * flight are still reported, and the error is rethrown.
   */
  readonly onResult?: (result: FanOutResult) => void | Promise<void>;
  /** Called every `progressEvery` results, and once at the end with the final counts. */
  readonly onProgress?: (progress: FanOutProgress) => void;
  /** How many results between two `onProgress` calls. Default 1,000. */
  readonly progressEvery?: number;
  /** How many refused (and, separately, unknown) recipients the summary keeps. Default 100. */
  readonly maxSamples?: number;
}

/**
 * Options of `UnicastService.sendToMany`: the run's options, and the message's `binary`, `from`
 * and `appId` (validated once, as `MessageContentDto`).
 *
 * @example
 * await unicast.sendToMany(ids, 'aGVsbG8=', { binary: true, from: 'ops_bot', concurrency: 8 });
 */
export interface SendToManyOptions extends FanOutOptions, Partial<MessageOptionsDto> {}
