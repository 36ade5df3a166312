/** `nestjs-volcengine-rtc/health`: needs the optional peer `@nestjs/terminus`. */
export {
  RtcHealthCheckOptions,
  RtcMessagingHealthIndicator,
} from './rtc-messaging.health-indicator';
