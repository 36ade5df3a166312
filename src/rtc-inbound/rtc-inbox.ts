import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  errorCodeOf,
  OnRtcClientMessage,
  OnRtcEvent,
  RtcClientMessage,
  RtcEvent,
  UnicastService,
} from 'nestjs-volcengine-rtc';
import { RtcInboundConfig, rtcInboundConfig } from './rtc-inbound.config';

/** The acknowledgement a client receives for its message (`onServerMessageSendResult`). */
export interface ClientMessageAck {
  readonly received: true;
  /** The message's size: its UTF-8 bytes, or its decoded bytes when binary. */
  readonly bytes: number;
}

/**
 * The demo's handlers of what RTC sends. Every event is handled by the catch-all (the list of
 * recent events is fed by the module's `onEventDelivery`, which also sees duplicates); each client
 * message is echoed back to its sender as an out-of-room message, `SendUnicast` from `RTC_FROM`
 * through the budget, unless `RTC_ECHO_CLIENT_MESSAGES=false`.
 */
@Injectable()
export class RtcInbox {
  private readonly logger = new Logger(RtcInbox.name);

  constructor(
    private readonly unicast: UnicastService,
    @Inject(rtcInboundConfig.KEY) private readonly config: RtcInboundConfig,
  ) {}

  /**
   * Every event type. The demo only records it, and that is done by the module's
   * `onEventDelivery` (the list of recent events and the delivery's log line, which sees
   * duplicates too); its data is the app's business, not logged.
   */
  @OnRtcEvent()
  handleEvent(_event: RtcEvent): void {
    // Nothing more to do here: an app would act on the event (store it, notify someone).
  }

  /**
   * Acknowledges at once, without waiting for the echo: the client's acknowledgement must not
   * depend on the budget or the upstream. A failed echo is logged (the client already has its
   * answer), by error code, never with the message.
   */
  @OnRtcClientMessage()
  handleClientMessage(message: RtcClientMessage): ClientMessageAck {
    const bytes = message.binary
      ? message.message.length
      : Buffer.byteLength(message.message, 'utf8');
    // The module serves the route ahead of the request logger: this is the message's log line.
    this.logger.log(`RTC client message from ${message.userId ?? '(unverified)'}: ${bytes} bytes`);
    // The sender is known: the route checks its token (verifySender 'rtc-token').
    if (this.config.echoClientMessages && message.userId !== undefined) {
      this.echo(message.userId, message);
    }
    return { received: true, bytes };
  }

  private echo(userId: string, message: RtcClientMessage): void {
    const sending = message.binary
      ? this.unicast.sendBinary(userId, message.message)
      : this.unicast.sendText(userId, message.message);
    sending.catch((error: unknown) => {
      const name = error instanceof Error ? error.name : typeof error;
      this.logger.warn(
        `echo of a client message to ${userId} failed: ${name} (${errorCodeOf(error)})`,
      );
    });
  }
}
