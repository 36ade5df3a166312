/**
 * A local Volcengine RTC OpenAPI emulator for tests, demos and benchmarks.
 * The standalone process entry (`emulator.main.ts`) is deliberately not exported: importing it
 * must never start a server.
 */
export { RtcOpenApiEmulator } from './rtc-openapi-emulator';
export { describeAcceptedMessage } from './accepted-message.format';
export type {
  AcceptedMessage,
  RejectedCall,
  RtcOpenApiEmulatorEvents,
} from './rtc-openapi-emulator';
export { EMULATOR_DEMO_CREDENTIALS, MAX_REQUEST_BODY_BYTES } from './emulator.options';
export { parseEmulatorArgs } from './emulator.args';
export type { EmulatorProcessOptions } from './emulator.args';
export type { CountAt, RateLimitKey, RtcOpenApiEmulatorOptions } from './emulator.options';
export { CountingTimes, windowRate } from './counting-times';
export type { CountingTimesReport } from './counting-times';
export type { EventLoopStall } from './event-loop-stalls';
export type {
  EmulatorFault,
  ErrorFault,
  HtmlPageFault,
  InjectFaultOptions,
  LatencyFault,
  ResetFault,
  ResultFault,
} from './faults';
export { SlidingWindowCounter } from './sliding-window-counter';
