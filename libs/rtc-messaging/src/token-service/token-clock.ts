/** Where `RtcTokenService` reads the time; replace it in tests to make and check tokens at a set time. */
export interface RtcTokenClock {
  /** The current time in Unix milliseconds, as `Date.now()`. */
  now(): number;
}

/**
 * Injection token of the clock `RtcTokenService` reads. The module provides the system clock;
 * a test overrides it the Nest way:
 *
 * @example
 * const moduleRef = await Test.createTestingModule({ imports: [RtcMessagingModule.forRoot(options)] })
 *   .overrideProvider(RTC_TOKEN_CLOCK)
 *   .useValue({ now: () => Date.parse('2026-12-01T00:00:00Z') })
 *   .compile();
 */
export const RTC_TOKEN_CLOCK = Symbol('RTC_TOKEN_CLOCK');

/**
 * The system clock, which the module provides as `RTC_TOKEN_CLOCK`. A plain instance, never a
 * frozen object: Nest 12's `instrument` option (on in apps made by `nest new` with
 * `@nestjs/observe`) wraps providers in proxies, and a proxy of a frozen object throws on every
 * method read.
 */
export class SystemTokenClock implements RtcTokenClock {
  /** `Date.now()`. */
  now(): number {
    return Date.now();
  }
}
