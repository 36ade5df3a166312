import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { RtcInboundConfigurationError } from '../errors/rtc-inbound-configuration.error';
import {
  RTC_CLIENT_MESSAGE_HANDLER_METADATA,
  RTC_EVENT_HANDLER_METADATA,
} from './rtc-inbound.decorators';
import type { RtcClientMessage, RtcClientMessageReply, RtcEvent } from './rtc-inbound.types';

/** A decorated method, bound to its provider. */
export interface RtcInboundHandler<TInput, TResult> {
  /** `Class.method`, for boot errors and log lines. */
  readonly name: string;
  readonly call: (input: TInput) => TResult | Promise<TResult>;
}

/** An `@OnRtcEvent` method. */
export type RtcEventHandler = RtcInboundHandler<RtcEvent, unknown>;
/** The `@OnRtcClientMessage` method. */
export type RtcClientMessageHandler = RtcInboundHandler<RtcClientMessage, RtcClientMessageReply>;

/**
 * The decorated methods of the app's providers, found once, at module init, through Nest's discovery
 * (as `@nestjs/event-emitter` finds `@OnEvent` methods): one per event type, one catch-all, one
 * client-message handler. Refuses at boot what would make "handled once" ambiguous: two methods
 * for one event type, two catch-alls, two client-message handlers, or a request-scoped provider
 * (which has no instance outside a request).
 */
@Injectable()
export class RtcInboundHandlers {
  private readonly byType = new Map<string, RtcEventHandler>();
  private catchAll: RtcEventHandler | undefined;
  private clientMessage: RtcClientMessageHandler | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /**
   * Finds the decorated methods of every provider; once, at module init (`RtcInboundRoutes`).
   * @throws RtcInboundConfigurationError naming each clash
   */
  discover(): void {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || wrapper.isAlias) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        // Metadata from the prototype's own method: an instrumented app (Nest 12 `instrument`)
        // hands out instances behind proxies whose methods are wrappers without it.
        const method = (prototype as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const eventTypes = this.reflector.get<string[] | undefined>(
          RTC_EVENT_HANDLER_METADATA,
          method,
        );
        const isClientHandler =
          this.reflector.get<boolean | undefined>(RTC_CLIENT_MESSAGE_HANDLER_METADATA, method) ===
          true;
        if (eventTypes === undefined && !isClientHandler) continue;
        const name = `${instance.constructor.name}.${methodName}`;
        if (!wrapper.isDependencyTreeStatic()) {
          problems.push(`${name} is on a request-scoped provider; RTC handlers must be singletons`);
          continue;
        }
        // Called through the instance, so whatever wraps its methods (tracing, timing) runs too.
        const target = instance as Record<string, (input: unknown) => unknown>;
        const call = (input: unknown) => target[methodName](input);
        if (eventTypes !== undefined) this.addEventHandler(eventTypes, { name, call }, problems);
        if (isClientHandler) {
          if (this.clientMessage) {
            problems.push(
              `@OnRtcClientMessage() is on both ${this.clientMessage.name} and ${name}; an app has one client-message handler`,
            );
          } else {
            this.clientMessage = { name, call } as RtcClientMessageHandler;
          }
        }
      }
    }
    if (problems.length > 0) throw new RtcInboundConfigurationError(problems);
  }

  /** The handler of `eventType`: its own, else the catch-all, else `undefined`. */
  eventHandlerOf(eventType: string): RtcEventHandler | undefined {
    return this.byType.get(eventType) ?? this.catchAll;
  }

  /** The event types that have a handler of their own (a bounded set, for metrics). */
  get eventTypes(): readonly string[] {
    return [...this.byType.keys()];
  }

  /** Whether any `@OnRtcEvent` method was found. */
  get hasEventHandlers(): boolean {
    return this.byType.size > 0 || this.catchAll !== undefined;
  }

  /** The `@OnRtcClientMessage()` method, if the app has one. */
  get clientMessageHandler(): RtcClientMessageHandler | undefined {
    return this.clientMessage;
  }

  private addEventHandler(
    eventTypes: readonly string[],
    handler: RtcEventHandler,
    problems: string[],
  ): void {
    if (eventTypes.length === 0) {
      if (this.catchAll) {
        problems.push(
          `@OnRtcEvent() (catch-all) is on both ${this.catchAll.name} and ${handler.name}; an app has one catch-all`,
        );
      } else {
        this.catchAll = handler;
      }
      return;
    }
    for (const eventType of eventTypes) {
      if (typeof eventType !== 'string' || eventType.length === 0) {
        problems.push(
          `@OnRtcEvent on ${handler.name} has an event type that is not a non-empty string`,
        );
        continue;
      }
      const existing = this.byType.get(eventType);
      if (existing) {
        problems.push(
          `@OnRtcEvent('${eventType}') is on both ${existing.name} and ${handler.name}; each event type has one handler`,
        );
      } else {
        this.byType.set(eventType, handler);
      }
    }
  }
}
