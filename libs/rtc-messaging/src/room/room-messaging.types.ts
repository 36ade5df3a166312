import type { SendStatus } from '../unicast/send-status';
import type { MessageOptionsDto } from '../validation';

/**
 * Per-call options of the room methods: the message's `binary`, `from` and `appId` (validated
 * with the message), and a `signal` that cancels waiting for budget or for a retry.
 *
 * The message is a string in every case: text, or base64 when `binary` is true, exactly as the
 * HTTP bodies carry it. Encode bytes with `Buffer.from(bytes).toString('base64')`.
 *
 * @example
 * await rooms.broadcast('lobby', 'aGVsbG8=', { binary: true, from: 'game_master' });
 */
export interface RoomSendOptions extends Partial<MessageOptionsDto> {
  /**
   * Cancels waiting for budget or for a retry: the call is not sent and rejects with the
   * signal's reason. A call already on the wire completes.
   */
  readonly signal?: AbortSignal;
}

/**
 * One call of a batch: up to 600 consecutive ids of the list, and what became of them.
 *
 * @example
 * for (const chunk of result.chunks)
 *   if (chunk.status === 'refused') retryLater.push(...chunk.to);
 */
export interface RoomBatchChunk {
  /** Position in the list of the chunk's first id. */
  readonly start: number;
  /** Position after the chunk's last id: the chunk is `to.slice(start, end)`. */
  readonly end: number;
  /** The chunk's ids. */
  readonly to: readonly string[];
  /** `sent`, `refused` (surely not delivered: safe to send again) or `unknown` (may have been). */
  readonly status: SendStatus;
  /** `ResponseMetadata.RequestId` of an accepted call. */
  readonly requestId?: string;
  /** What the call threw, for `refused` / `unknown`: an `RtcError`, or the signal's reason. */
  readonly error?: unknown;
  /** One line saying why, for `refused` / `unknown`. */
  readonly reason?: string;
}

/**
 * What `RoomMessagingService.sendToUsers` did: one entry per call, in list order, and the
 * recipients counted by outcome (`sent + refused + unknown` is the list's length).
 *
 * @example
 * const { sent, refused, unknown, chunks } = await rooms.sendToUsers('lobby', ids, 'gg');
 * // { sent: 1200, refused: 1, unknown: 0, cancelled: false,
 * //   chunks: [{ start: 0, end: 600, status: 'sent', requestId: '…', to: [...] }, …] }
 */
export interface RoomBatchResult {
  readonly chunks: readonly RoomBatchChunk[];
  /** Recipients in accepted calls. */
  readonly sent: number;
  /** Recipients in calls that surely were not delivered, cancelled ones included. */
  readonly refused: number;
  /** Recipients in calls that may have been delivered. */
  readonly unknown: number;
  /** `true` when the signal was aborted before every call was made. */
  readonly cancelled: boolean;
}
