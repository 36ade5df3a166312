/**
 * `nestjs-volcengine-rtc/testing`: what an app needs to test code that sends RTC messages.
 * - `RtcMessagingTestingModule` and `RtcMessagingRecorder`: unit tests, with the real services and
 *   their validation, and an in-memory recorder in place of the upstream.
 * - `RtcOpenApiEmulator`: e2e tests, a local Volcengine RTC OpenAPI that checks signatures, body
 *   rules and the rate limit as the real one does, records what it accepted, and injects faults.
 * - `buildRtcCallbackEvent`, `deliverRtcCallbackEvent`, `sendRtcClientMessage`: e2e tests of the
 *   receiving side, what RTC would send to the app's callback and client-message URLs.
 */
export {
  RTC_MESSAGING_TESTING_DEFAULTS,
  RtcMessagingTestingModule,
  RtcMessagingTestingOptions,
} from './rtc-messaging-testing.module';
export { RecordedCall, RecordedFailure, RtcMessagingRecorder } from './rtc-messaging.recorder';
export * from './emulator';
export * from './inbound';
