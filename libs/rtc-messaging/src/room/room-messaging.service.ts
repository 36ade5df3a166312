import { Inject, Injectable } from '@nestjs/common';
import { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { RtcValidationError } from '../errors';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { MAX_BATCH_RECIPIENTS, MessagingAction } from '../rtc-openapi.constants';
import { RTC_ATTRIBUTES, RTC_SPANS, startGroupSpan } from '../telemetry';
import { MessagingResult, resultMessage } from '../transport';
import type { RtcSendResult } from '../unicast/send-unicast.dto';
import { describeFailure } from '../unicast/send-status';
import { validateInput } from '../validation';
import { batchRanges } from './batch-chunks';
import { RoomBatchCall, RoomBroadcastCall, RoomUnicastCall } from './room-message.dto';
import type { RoomBatchChunk, RoomBatchResult, RoomSendOptions } from './room-messaging.types';
import { expandIdListViolations } from './rtc-id-list.validator';

/** Separates the signal from the fields validated with the message. */
function splitOptions(options: RoomSendOptions | undefined): {
  signal: AbortSignal | undefined;
  fields: Omit<RoomSendOptions, 'signal'>;
} {
  const { signal, ...fields } = options ?? {};
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new RtcValidationError([
      { field: 'signal', rule: 'isAbortSignal', message: 'signal must be an AbortSignal' },
    ]);
  }
  return { signal, fields };
}

/**
 * Sends messages inside an RTC room: to one user (`SendRoomUnicast`), to everyone
 * (`SendBroadcast`), or to a list of users (`BatchSendRoomUnicast`). Same module, options,
 * validation and call budget as `UnicastService`: every call (every chunk of a batch) takes one
 * place of the shared budget per attempt.
 *
 * The RTS SDK (messaging without joining a room) cannot receive `SendRoomUnicast` or
 * `BatchSendRoomUnicast`; use `UnicastService` for users who only called `login`.
 *
 * @example
 * constructor(private readonly rooms: RoomMessagingService) {}
 *
 * await this.rooms.broadcast('match_17', 'Round 2 starts now');
 * await this.rooms.sendToUser('match_17', 'user_42', 'You are up');
 * const { sent, refused } = await this.rooms.sendToUsers('match_17', teamIds, 'Regroup');
 */
@Injectable()
export class RoomMessagingService {
  constructor(
    private readonly dispatcher: RtcDispatcher,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
  ) {}

  /**
   * Sends one message to one user in a room (`SendRoomUnicast`, at most 64 KB).
   * @throws RtcValidationError when an argument breaks a rule (nothing is sent); violations name
   *   `roomId`, `to`, `message`, `binary`, `from`, `appId`
   * @throws RtcRateLimitedError when the budget or the upstream refused it for now
   * @throws RtcUpstreamError, RtcTransportError when it surely was not delivered
   * @throws RtcUnknownOutcomeError when it may have been delivered
   *
   * @example
   * const { requestId } = await rooms.sendToUser('match_17', 'user_42', 'You are up');
   */
  async sendToUser(
    roomId: string,
    to: string,
    message: string,
    options?: RoomSendOptions,
  ): Promise<RtcSendResult> {
    const { signal, fields } = splitOptions(options);
    const dto = validateInput(RoomUnicastCall, { ...fields, roomId, to, message });
    return this.sendOne(
      'SendRoomUnicast',
      {
        AppId: dto.appId ?? this.options.appId,
        RoomId: dto.roomId,
        From: dto.from ?? this.options.from,
        To: dto.to,
        Binary: dto.binary ?? false,
        Message: dto.message,
      },
      signal,
    );
  }

  /**
   * Sends one message to everyone in a room (`SendBroadcast`, at most 64 KB).
   * @throws as {@link sendToUser}
   *
   * @example
   * await rooms.broadcast('match_17', 'Round 2 starts now', { from: 'referee' });
   */
  async broadcast(
    roomId: string,
    message: string,
    options?: RoomSendOptions,
  ): Promise<RtcSendResult> {
    const { signal, fields } = splitOptions(options);
    const dto = validateInput(RoomBroadcastCall, { ...fields, roomId, message });
    return this.sendOne(
      'SendBroadcast',
      {
        AppId: dto.appId ?? this.options.appId,
        RoomId: dto.roomId,
        From: dto.from ?? this.options.from,
        Binary: dto.binary ?? false,
        Message: dto.message,
      },
      signal,
    );
  }

  /**
   * Sends one message (at most 20 KB) to a list of users in a room (`BatchSendRoomUnicast`).
   * A list longer than 600 ids is sent in calls of at most 600, one after another in list order,
   * each taking one place of the call budget per attempt.
   *
   * The whole list is validated first: a malformed id anywhere (violation `to[i]`), an empty
   * list, or a message over 20 KB refuses the call with `RtcValidationError`, and nothing is sent.
   * After that the method does not throw: each call's outcome is reported in its chunk, and a
   * failed chunk does not stop the ones after it. Ids are sent as given (duplicates included).
   *
   * Each chunk is bulk work for the shared budget: it waits behind single sends, for as long as
   * its turn takes, rather than being refused when other traffic takes most of the budget.
   *
   * Cancelling (`signal`) leaves the chunks not yet sent `refused` (reason `cancelled before it
   * was sent`) and `cancelled: true`; a call already on the wire completes.
   *
   * @throws RtcValidationError when an argument breaks a rule (nothing is sent)
   *
   * @example
   * const result = await rooms.sendToUsers('match_17', ids, 'Regroup at B');
   * // 1,201 ids: three calls of 600, 600 and 1 →
   * // { sent: 1201, refused: 0, unknown: 0, cancelled: false, chunks: [{ start: 0, end: 600, … }, …] }
   * const retry = result.chunks.filter((c) => c.status === 'refused').flatMap((c) => c.to);
   */
  async sendToUsers(
    roomId: string,
    to: readonly string[],
    message: string,
    options?: RoomSendOptions,
  ): Promise<RoomBatchResult> {
    const { signal, fields } = splitOptions(options);
    let dto: RoomBatchCall;
    try {
      dto = validateInput(RoomBatchCall, { ...fields, roomId, to, message });
    } catch (error) {
      if (!(error instanceof RtcValidationError)) throw error;
      throw new RtcValidationError(expandIdListViolations(error.violations, 'to', to));
    }
    const common = {
      AppId: dto.appId ?? this.options.appId,
      RoomId: dto.roomId,
      From: dto.from ?? this.options.from,
    };
    const Binary = dto.binary ?? false;
    const counts = { sent: 0, refused: 0, unknown: 0 };
    const chunks: RoomBatchChunk[] = [];
    // Each chunk's BatchSendRoomUnicast call is a child of this span (see startGroupSpan).
    const span = startGroupSpan(RTC_SPANS.roomBatch, {
      [RTC_ATTRIBUTES.appId]: common.AppId,
      [RTC_ATTRIBUTES.recipients]: dto.to.length,
    });

    for (const { start, end } of batchRanges(dto.to.length, MAX_BATCH_RECIPIENTS)) {
      const ids = dto.to.slice(start, end);
      let chunk: RoomBatchChunk;
      try {
        // The budget checks the signal too, but with rateLimit false there is no budget.
        signal?.throwIfAborted();
        const { requestId } = await span.run(() =>
          this.dispatcher.dispatch<MessagingResult>(
            'BatchSendRoomUnicast',
            { ...common, To: ids, Binary, Message: dto.message },
            this.dispatchSignal(signal),
            'bulk',
          ),
        );
        chunk = { start, end, to: ids, status: 'sent', requestId };
      } catch (error) {
        chunk = { start, end, to: ids, ...describeFailure(error, signal) };
      }
      counts[chunk.status] += ids.length;
      chunks.push(chunk);
    }
    const cancelled = signal?.aborted ?? false;
    span.end({
      [RTC_ATTRIBUTES.sent]: counts.sent,
      [RTC_ATTRIBUTES.refused]: counts.refused,
      [RTC_ATTRIBUTES.unknown]: counts.unknown,
      [RTC_ATTRIBUTES.cancelled]: cancelled,
    });
    return { chunks, ...counts, cancelled };
  }

  private async sendOne(
    action: MessagingAction,
    body: { readonly AppId: string } & Readonly<Record<string, unknown>>,
    signal: AbortSignal | undefined,
  ): Promise<RtcSendResult> {
    // The budget checks the signal too, but with rateLimit false there is no budget.
    signal?.throwIfAborted();
    const { requestId, result } = await this.dispatcher.dispatch<unknown>(
      action,
      body,
      this.dispatchSignal(signal),
    );
    return { requestId, message: resultMessage(result) };
  }

  /**
   * The signal the dispatcher may use. With `retry.unknownOutcome` on, a retry may follow an
   * attempt that possibly delivered; an abort during that wait would reject with the signal's
   * reason and hide it, so then the signal is not passed down (the call runs to its end).
   */
  private dispatchSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
    return this.options.retry.unknownOutcome ? undefined : signal;
  }
}
