import { DynamicModule, Module } from '@nestjs/common';
import { RtcInboundModule } from 'nestjs-volcengine-rtc';
import type { Logger } from 'pino';
import { eventDeliveryLog } from './event-delivery.log';
import { RecentEvents } from './recent-events';
import { RecentEventsController } from './recent-events.controller';
import { RtcInboundConfig, rtcInboundConfig } from './rtc-inbound.config';
import { RTC_CLIENT_MESSAGES_PATH, RTC_EVENTS_PATH } from './rtc-inbound.constants';
import { RtcInbox } from './rtc-inbox';

/** The one `RecentEvents` of the app: fed by the inbound module, read by the controller. */
@Module({ providers: [RecentEvents], exports: [RecentEvents] })
export class RecentEventsModule {}

/**
 * What RTC sends the demo: `POST /v1/rtc/events` (signed event callbacks, de-duplicated in Redis
 * with `REDIS_URL`, else in memory) and `POST /v1/rtc/client-messages` (client messages, the
 * sender's login token as signature), both served by the library's `RtcInboundModule`; and
 * `GET /v1/rtc/events/recent`. Without `RTC_CALLBACK_SECRET` the event route answers 503, and
 * without `RTC_APP_KEY` the client-message route does.
 */
@Module({})
export class RtcInboundDemoModule {
  /** @param logger the app's pino logger (`createAppLogger`): each event delivery's log line. */
  static register(logger: Logger): DynamicModule {
    const logDelivery = eventDeliveryLog(logger);
    return {
      module: RtcInboundDemoModule,
      imports: [
        RecentEventsModule,
        RtcInboundModule.forRootAsync({
          imports: [RecentEventsModule],
          inject: [rtcInboundConfig.KEY, RecentEvents],
          useFactory: (config: RtcInboundConfig, recent: RecentEvents) => ({
            events: {
              path: RTC_EVENTS_PATH,
              callbackSecret: config.callbackSecret,
              secondaryCallbackSecret: config.secondaryCallbackSecret,
            },
            clientMessages: { path: RTC_CLIENT_MESSAGES_PATH },
            onEventDelivery: (delivery) => {
              recent.record(delivery);
              logDelivery(delivery);
            },
            // At the HTTP server, ahead of the app's middleware chain: a delivery costs about a
            // third of the CPU it did through Express (bench/README.md), the module's body limits
            // hold before any parser, and the request log is replaced by the line above.
            serveBeforeAppMiddleware: true,
          }),
        }),
      ],
      controllers: [RecentEventsController],
      providers: [RtcInbox],
    };
  }
}
