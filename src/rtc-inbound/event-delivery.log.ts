import type { RtcEventDelivery } from 'nestjs-volcengine-rtc';
import type { Logger } from 'pino';

/**
 * One log line per verified event delivery: the module serves RTC's routes ahead of the app's
 * middleware (`serveBeforeAppMiddleware`), so the request logger never sees them. Written
 * straight to a child of the app's pino logger (the request log's), its `context` bound once,
 * not through Nest's `Logger`, whose way to pino cost about a third of a delivery's CPU
 * (bench/README.md). Ids, type and outcome only: an event's data is the app's business.
 */
export function eventDeliveryLog(logger: Logger): (delivery: RtcEventDelivery) => void {
  const log = logger.child({ context: 'RtcInbound' });
  return (delivery) =>
    log.info(
      { rtcOutcome: delivery.outcome },
      `RTC event ${delivery.eventType} ${delivery.eventId} (AppId ${delivery.appId}): ${delivery.outcome}`,
    );
}
