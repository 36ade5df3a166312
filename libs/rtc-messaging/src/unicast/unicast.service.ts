import { Inject, Injectable } from '@nestjs/common';
import { RtcValidationError } from '../errors';
import { ID_PATTERN } from '../rtc-openapi.constants';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { MessagingResult, resultMessage } from '../transport';
import { IsRtcId, MessageContentDto, validateInput } from '../validation';
import { fanOutArgumentViolations, runFanOut } from './fan-out';
import type { FanOutSummary, SendToManyOptions } from './fan-out.types';
import {
  CallOptions,
  RtcSendResult,
  SendOptions,
  SendUnicastDto,
  SendUnicastInput,
} from './send-unicast.dto';

/** One fan-out recipient, so a malformed id gets the same violation as in `SendUnicastDto`. */
class FanOutRecipientDto {
  @IsRtcId()
  to!: string;
}

/**
 * Sends out-of-room point-to-point messages (`SendUnicast`) to RTC users who have called `login`.
 *
 * @example
 * constructor(private readonly unicast: UnicastService) {}
 * await this.unicast.sendText('user_42', 'Your order has shipped');
 */
@Injectable()
export class UnicastService {
  constructor(
    private readonly dispatcher: RtcDispatcher,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
  ) {}

  /**
   * Validates and sends one message; `from` and `appId` default to the module's options.
   * A `signal` stops waiting for budget or a retry (not with `retry.unknownOutcome` on, where
   * giving up after an attempt that may have delivered would report it as not sent).
   * @throws RtcValidationError when the message breaks a rule (nothing is sent)
   * @throws RtcRateLimitedError when the budget or the upstream refused it for now
   * @throws RtcUpstreamError, RtcTransportError when it surely was not delivered
   * @throws RtcUnknownOutcomeError when it may have been delivered (never retried by default)
   */
  async send(input: SendUnicastInput, { signal }: CallOptions = {}): Promise<RtcSendResult> {
    const dto = validateInput(SendUnicastDto, input);
    // The dispatcher refuses an aborted signal, but with `retry.unknownOutcome` on it never sees it.
    signal?.throwIfAborted();
    const { requestId, result } = await this.dispatcher.dispatch<unknown>(
      'SendUnicast',
      {
        AppId: dto.appId ?? this.options.appId,
        From: dto.from ?? this.options.from,
        To: dto.to,
        Binary: dto.binary ?? false,
        Message: dto.message,
      },
      this.options.retry.unknownOutcome ? undefined : signal,
    );
    return { requestId, message: resultMessage(result) };
  }

  /** Sends a text message (at most 64 KB in UTF-8). */
  sendText(to: string, text: string, options?: SendOptions): Promise<RtcSendResult> {
    const { signal, ...fields } = options ?? {};
    return this.send({ ...fields, to, message: text, binary: false }, { signal });
  }

  /** Sends binary data (at most 64 KB); it is base64-encoded for the wire here. */
  async sendBinary(to: string, bytes: Uint8Array, options?: SendOptions): Promise<RtcSendResult> {
    if (!(bytes instanceof Uint8Array)) {
      throw new RtcValidationError([
        { field: 'bytes', rule: 'isUint8Array', message: 'bytes must be a Uint8Array (or Buffer)' },
      ]);
    }
    const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
      'base64',
    );
    const { signal, ...fields } = options ?? {};
    return this.send({ ...fields, to, message, binary: true }, { signal });
  }

  /**
   * Sends one message to each recipient: one `SendUnicast` per recipient, under the shared call
   * budget, at most `concurrency` (default 32) at a time. Recipients are pulled from the iterable
   * only as slots free, so 100,000 ids, or an async cursor over a table, run in constant memory;
   * each outcome is streamed to `onResult` and the counts to `onProgress`.
   *
   * The message, `binary`, `from` and `appId` are validated once, before anything is sent. Each
   * recipient id is validated on its own: a malformed one is `refused` with the rule it broke, and
   * the others are still sent. A failure is `unknown` when the message may have been delivered
   * (`RtcUnknownOutcomeError`), otherwise `refused`; the method itself does not throw for them.
   *
   * Each recipient is bulk work for the shared budget: it waits behind single sends, for as long
   * as its turn takes, rather than being refused when other traffic takes most of the budget; at
   * most `concurrency` wait at once, and no recipient is pulled while they do (backpressure).
   *
   * Cancelling (`signal`) stops pulling recipients; calls waiting for budget give up (`refused`)
   * and calls on the wire complete. Every recipient that was not reported through `onResult` was
   * not sent. (With `retry.unknownOutcome` on, the signal does not cut a call's retries short:
   * an abort there would hide whether an earlier attempt delivered it.)
   *
   * @throws RtcValidationError when the message or an option breaks a rule (nothing is sent)
   * @throws whatever the iterable or `onResult` throws, once the calls in flight are reported
   *
   * @example
   * const summary = await this.unicast.sendToMany(userIds, 'Maintenance at 02:00', {
   *   concurrency: 16,
   *   signal: AbortSignal.timeout(120_000),
   *   onResult: (r) => r.status !== 'sent' && this.log.warn(`${r.to}: ${r.reason}`),
   * });
   * // { done: 10000, sent: 9998, refused: 2, unknown: 0, refusals: [...], cancelled: false, ... }
   */
  async sendToMany(
    recipients: Iterable<string> | AsyncIterable<string>,
    message: string,
    options: SendToManyOptions = {},
  ): Promise<FanOutSummary> {
    const { concurrency, signal, onResult, onProgress, progressEvery, maxSamples, ...fields } =
      options ?? {};
    const run = { concurrency, signal, onResult, onProgress, progressEvery, maxSamples };
    // Every broken rule at once: the message's and the run's.
    const problems = fanOutArgumentViolations(recipients, run);
    let dto: MessageContentDto;
    try {
      dto = validateInput(MessageContentDto, { ...fields, message });
    } catch (error) {
      if (error instanceof RtcValidationError && problems.length > 0) {
        throw new RtcValidationError([...error.violations, ...problems]);
      }
      throw error;
    }
    if (problems.length > 0) throw new RtcValidationError(problems);

    const AppId = dto.appId ?? this.options.appId;
    const From = dto.from ?? this.options.from;
    const Binary = dto.binary ?? false;
    const Message = dto.message;
    const atLeastOnce = this.options.retry.unknownOutcome;

    return runFanOut(
      recipients,
      // The run's signal, not the caller's: it has room for a listener per call in flight.
      async (to, _index, runSignal) => {
        const dispatchSignal = atLeastOnce ? undefined : runSignal;
        // The fast path is the same rule; only a malformed id pays for class-validator's message.
        if (typeof to !== 'string' || !ID_PATTERN.test(to))
          validateInput(FanOutRecipientDto, { to });
        const { requestId } = await this.dispatcher.dispatch<MessagingResult>(
          'SendUnicast',
          { AppId, From, To: to, Binary, Message },
          dispatchSignal,
          'bulk',
        );
        return { requestId };
      },
      run,
    );
  }
}
