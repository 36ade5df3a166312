import type { Server } from 'node:http';
import {
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  BeforeApplicationShutdown,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
  RequestMethod,
} from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { RTC_CALL_BUDGET } from '../rtc-messaging.constants';
import type { CallBudget } from '../rate-limit/call-budget';
import { SealedModuleOptions, sealOptionsOf, unsealOptions } from '../sealed-module-options';
import type { RtcEventClaimStore } from './claims/event-claim-store.interface';
import { MemoryEventClaimStore } from './claims/memory-event-claim.store';
import { RedisEventClaimStore } from './claims/redis-event-claim.store';
import { RtcInboundHandlers } from './rtc-inbound-handlers';
import {
  ConfigurableRtcInboundModule,
  RTC_EVENT_CLAIM_STORE,
  RTC_INBOUND_MODULE_OPTIONS,
  RTC_INBOUND_OPTIONS,
  RtcInboundModuleAsyncOptions,
  RtcInboundModuleForRootOptions,
} from './rtc-inbound.module-definition';
import {
  resolveInboundOptions,
  ResolvedRtcInboundOptions,
  RtcInboundModuleOptions,
} from './rtc-inbound.options';
import { InboundMiddleware, RtcInboundRoutes } from './rtc-inbound.routes';
import { serveAheadOfApp } from './inbound-server-routes';

/**
 * Receives what RTC sends the app server: signed event callbacks, each handled once per
 * `EventId`, and client messages, answered with the handler's acknowledgement. Handlers are
 * provider methods marked `@OnRtcEvent(...)` / `@OnRtcClientMessage()`. Works beside
 * `RtcMessagingModule` registered with `isGlobal: true`, whose AppId, `RtcTokenService` and
 * budget Redis it reuses.
 *
 * @example Static options
 * RtcInboundModule.forRoot({
 *   events: { path: '/v1/rtc/events', callbackSecret: 'from-the-console' },
 *   clientMessages: { path: '/v1/rtc/client-messages' },
 * })
 *
 * @example Options from `@nestjs/config`
 * RtcInboundModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     events: { path: '/v1/rtc/events', callbackSecret: config.get('RTC_CALLBACK_SECRET') },
 *   }),
 * })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RTC_INBOUND_OPTIONS,
      inject: [RTC_INBOUND_MODULE_OPTIONS],
      // Validated once, when the app boots: a bad option stops the boot naming the option.
      useFactory: (
        options: SealedModuleOptions<RtcInboundModuleOptions> | RtcInboundModuleOptions,
      ) => resolveInboundOptions(unsealOptions(options)),
    },
    {
      provide: RTC_EVENT_CLAIM_STORE,
      inject: [RTC_INBOUND_OPTIONS, { token: RTC_CALL_BUDGET, optional: true }],
      useFactory: (
        { deduplication }: ResolvedRtcInboundOptions,
        budget: CallBudget | null | undefined,
      ): RtcEventClaimStore => {
        if (deduplication.store) return deduplication.store;
        const redis = budget?.redisConnection;
        return redis
          ? new RedisEventClaimStore({ client: redis, keyPrefix: deduplication.redisKeyPrefix })
          : new MemoryEventClaimStore(deduplication.memoryMaxEvents);
      },
    },
    RtcInboundHandlers,
    RtcInboundRoutes,
  ],
  exports: [RTC_EVENT_CLAIM_STORE],
})
export class RtcInboundModule
  extends ConfigurableRtcInboundModule
  implements NestModule, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private unmount?: () => void;

  constructor(
    @Inject(RTC_INBOUND_OPTIONS) private readonly options: ResolvedRtcInboundOptions,
    @Inject(RTC_EVENT_CLAIM_STORE) private readonly store: RtcEventClaimStore,
    private readonly routes: RtcInboundRoutes,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
  }

  /** Mounts the routes given in the options (POST only; the app's global prefix applies). */
  configure(consumer: MiddlewareConsumer): void {
    if (this.options.serveBeforeAppMiddleware) return;
    const { events, clientMessages } = this.options;
    if (events) {
      consumer
        .apply(this.routes.eventsMiddleware)
        .forRoutes({ path: events.path, method: RequestMethod.POST });
    }
    if (clientMessages) {
      consumer
        .apply(this.routes.clientMessagesMiddleware)
        .forRoutes({ path: clientMessages.path, method: RequestMethod.POST });
    }
  }

  /** With `serveBeforeAppMiddleware`, puts the routes at the HTTP server, ahead of the app. */
  onApplicationBootstrap(): void {
    if (!this.options.serveBeforeAppMiddleware) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return; // An application context without HTTP: nothing to serve.
    const routes = new Map<string, InboundMiddleware>();
    const { events, clientMessages } = this.options;
    if (events) routes.set(events.path, this.routes.eventsMiddleware);
    if (clientMessages) routes.set(clientMessages.path, this.routes.clientMessagesMiddleware);
    this.unmount = serveAheadOfApp(server, routes);
  }

  /** Lets the event handlers still running settle their claims before Redis closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.routes.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    this.unmount?.();
    this.routes.flushLogs();
    // A store given in the options stays the app's; the budget's Redis stays the budget's.
    if (this.options.deduplication.store === undefined) await this.store.close?.();
  }

  /** Registers the module with static options. */
  static forRoot(options: RtcInboundModuleForRootOptions): DynamicModule {
    // Sealed: the options hold the callback secret, and Nest keeps them as a provider.
    return sealOptionsOf(super.forRoot(options), RTC_INBOUND_MODULE_OPTIONS);
  }

  /** Registers the module with options from a factory, a class or an existing provider. */
  static forRootAsync(options: RtcInboundModuleAsyncOptions): DynamicModule {
    return sealOptionsOf(super.forRootAsync(options), RTC_INBOUND_MODULE_OPTIONS);
  }
}
