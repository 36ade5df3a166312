import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { RtcInboundConfigurationError } from '../errors/rtc-inbound-configuration.error';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import {
  DEFAULT_SHUTDOWN_GRACE_MS,
  type ResolvedRtcMessagingOptions,
} from '../rtc-messaging.options';
import { RepeatedLines } from '../telemetry/repeated-lines';
import { resolveLogger, RtcLogger } from '../telemetry/rtc-logger';
import { RTC_INBOUND_TYPES } from '../telemetry/telemetry-names';
import { RtcTokenService } from '../token-service/rtc-token.service';
import type { RtcEventClaimStore } from './claims/event-claim-store.interface';
import { EventDeduplicator } from './claims/event-deduplicator';
import { InboundRequest, readInboundBody } from './inbound-body.reader';
import type { InboundAnswer } from './inbound-answer';
import { InboundTelemetry } from './inbound-telemetry';
import { RtcClientMessageReceiver } from './rtc-client-message.receiver';
import { RtcEventReceiver } from './rtc-event.receiver';
import { RtcInboundHandlers } from './rtc-inbound-handlers';
import { RTC_EVENT_CLAIM_STORE, RTC_INBOUND_OPTIONS } from './rtc-inbound.module-definition';
import type { ResolvedRtcInboundOptions } from './rtc-inbound.options';

/** A middleware function of the HTTP platform (Express). */
export type InboundMiddleware = (
  request: InboundRequest,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The two routes' HTTP entry: middleware that reads the body (within the limit), hands it to its
 * receiver and writes the answer, never passing the request on. Built once the handlers are
 * found, at module init, which also refuses a setup the routes cannot serve.
 */
@Injectable()
export class RtcInboundRoutes implements OnModuleInit {
  private events?: RtcEventReceiver;
  private deduplicator?: EventDeduplicator;
  private clientMessages?: RtcClientMessageReceiver;
  private readonly logger: RtcLogger;
  /**
   * A line per refusal reason per 10 s, with how often it came: a wrong callback secret or
   * AppKey refuses every delivery, and with the routes served ahead of the app's middleware
   * (`serveBeforeAppMiddleware`) no request log would say so. Reasons name checks and fields,
   * never a value, a signature or a token.
   */
  private readonly refusals: RepeatedLines;

  constructor(
    @Inject(RTC_INBOUND_OPTIONS) private readonly options: ResolvedRtcInboundOptions,
    @Inject(RTC_EVENT_CLAIM_STORE) private readonly store: RtcEventClaimStore,
    private readonly handlers: RtcInboundHandlers,
    @Optional() private readonly tokens?: RtcTokenService,
    @Optional()
    @Inject(RTC_MESSAGING_OPTIONS)
    private readonly messaging?: ResolvedRtcMessagingOptions,
  ) {
    this.logger = messaging?.logger ?? resolveLogger(undefined);
    this.refusals = new RepeatedLines((line) => this.logger.warn(line));
  }

  onModuleInit(): void {
    this.handlers.discover();
    const problems: string[] = [];
    const { events, clientMessages } = this.options;
    const appIds = this.options.appIds ?? (this.messaging ? [this.messaging.appId] : undefined);
    if (events && !appIds) {
      problems.push(
        'appIds must be given when RtcMessagingModule is not registered (isGlobal: true) beside RtcInboundModule',
      );
    }
    if (events && !this.handlers.hasEventHandlers) {
      problems.push(`events is mounted at ${events.path} but no provider method has @OnRtcEvent()`);
    }
    if (clientMessages && !this.handlers.clientMessageHandler) {
      problems.push(
        `clientMessages is mounted at ${clientMessages.path} but no provider method has @OnRtcClientMessage()`,
      );
    }
    if (clientMessages?.verifySender === 'rtc-token' && !this.tokens) {
      problems.push(
        "clientMessages.verifySender 'rtc-token' needs RtcTokenService: register RtcMessagingModule with isGlobal: true, or give verifySender",
      );
    }
    if (problems.length > 0) throw new RtcInboundConfigurationError(problems);

    const knownTypes = new Set([...this.handlers.eventTypes, RTC_INBOUND_TYPES.clientMessage]);
    const telemetry = new InboundTelemetry((type) =>
      type !== undefined && knownTypes.has(type) ? type : RTC_INBOUND_TYPES.other,
    );
    if (events) {
      this.deduplicator = new EventDeduplicator(
        this.store,
        { claimTtlMs: this.options.deduplication.claimTtlMs },
        this.logger,
      );
      this.events = new RtcEventReceiver(events, {
        appIds: new Set(appIds),
        handlers: this.handlers,
        deduplicator: this.deduplicator,
        telemetry,
        logger: this.logger,
        onDelivery: this.options.onEventDelivery,
      });
    }
    if (clientMessages) {
      this.clientMessages = new RtcClientMessageReceiver(clientMessages, {
        handler: () => this.handlers.clientMessageHandler,
        tokens: this.tokens,
        telemetry,
        logger: this.logger,
      });
    }
  }

  /**
   * On shutdown, waits for the event handlers still running (at most the messaging module's
   * `shutdownGraceMs`, default 10 s) so their claims are settled while the store is still open;
   * says so when some are not done by then (RTC's retry may run them again).
   */
  async drain(): Promise<void> {
    if (!this.deduplicator) return;
    const graceMs = this.messaging?.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    const left = await this.deduplicator.drain(graceMs);
    if (left > 0) {
      this.logger.warn(
        `Shutdown: ${left} RTC event handler(s) still running after ${graceMs} ms; their events may run again on RTC's retry`,
      );
    }
  }

  /** The event-callback route's middleware. */
  readonly eventsMiddleware: InboundMiddleware = (request, response, next) =>
    this.serve(this.events, 'event callback', request, response, next);

  /** The client-message route's middleware. */
  readonly clientMessagesMiddleware: InboundMiddleware = (request, response, next) =>
    this.serve(this.clientMessages, 'client message', request, response, next);

  /** Writes the refusals still gathered (shutting down). */
  flushLogs(): void {
    this.refusals.flush();
  }

  private serve(
    receiver: RtcEventReceiver | RtcClientMessageReceiver | undefined,
    what: string,
    request: InboundRequest,
    response: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    if (!receiver) return next();
    const arrivedAt = performance.now();
    receiver
      .receive(
        (maxBytes, timeLimitMs) => readInboundBody(request, maxBytes, timeLimitMs),
        arrivedAt,
      )
      .then(
        (answer) => {
          if (answer.reason !== undefined) {
            this.refusals.record(`RTC ${what} refused (${answer.status}): ${answer.reason}`);
          }
          write(response, answer);
        },
        (error: unknown) => next(error),
      );
  }
}

function write(response: ServerResponse, answer: InboundAnswer): void {
  if (response.headersSent || response.destroyed) return;
  // One `writeHead` rather than a `setHeader` each: this runs for every delivery.
  const headers: OutgoingHttpHeaders = {
    'content-length': answer.body.length,
    'cache-control': 'no-store',
  };
  if (answer.contentType) headers['content-type'] = answer.contentType;
  // A body refused unread (413) or cut off (408) is not drained: the connection goes with it.
  if (answer.status === 413 || answer.status === 408) headers.connection = 'close';
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}
