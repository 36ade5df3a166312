/**
 * `nestjs-volcengine-rtc/testing`: what an app needs to test code that sends RTC messages.
 * The emulator is a local Volcengine RTC OpenAPI that checks signatures, body rules and the rate
 * limit as the real one does, records what it accepted, and injects faults on demand.
 */
export * from './emulator';
