import { Inject, Injectable } from '@nestjs/common';
import { RtcValidationError } from '../errors';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { MessagingResult } from '../transport';
import { validateInput } from '../validation';
import { RtcSendResult, SendOptions, SendUnicastDto, SendUnicastInput } from './send-unicast.dto';

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
   * @throws RtcValidationError when the message breaks a rule (nothing is sent)
   * @throws RtcRateLimitedError when the budget or the upstream refused it for now
   * @throws RtcUpstreamError, RtcTransportError when it surely was not delivered
   * @throws RtcUnknownOutcomeError when it may have been delivered (never retried by default)
   */
  async send(input: SendUnicastInput): Promise<RtcSendResult> {
    const dto = validateInput(SendUnicastDto, input);
    const { requestId, result } = await this.dispatcher.dispatch<MessagingResult>('SendUnicast', {
      AppId: dto.appId ?? this.options.appId,
      From: dto.from ?? this.options.from,
      To: dto.to,
      Binary: dto.binary ?? false,
      Message: dto.message,
    });
    return { requestId, message: result.Message };
  }

  /** Sends a text message (at most 64 KB in UTF-8). */
  sendText(to: string, text: string, options?: SendOptions): Promise<RtcSendResult> {
    return this.send({ ...options, to, message: text, binary: false });
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
    return this.send({ ...options, to, message, binary: true });
  }
}
