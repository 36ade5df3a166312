import type { LoggerService } from '@nestjs/common';
import type { RtcEventDelivery } from 'nestjs-volcengine-rtc';

/**
 * One log line per verified event delivery: the module serves RTC's routes ahead of the app's
 * middleware (`serveBeforeAppMiddleware`), so the request logger never sees them. Ids, type and
 * outcome only: an event's data is the app's business.
 */
export function logEventDelivery(logger: LoggerService, delivery: RtcEventDelivery): void {
  logger.log(
    `RTC event ${delivery.eventType} ${delivery.eventId} (AppId ${delivery.appId}): ${delivery.outcome}`,
  );
}
