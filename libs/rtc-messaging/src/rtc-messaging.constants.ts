/** Injection token of the resolved (validated, defaulted) module options. */
export const RTC_MESSAGING_OPTIONS = Symbol('RTC_MESSAGING_OPTIONS');

/** Injection token of the module's own `HttpService` (its own axios instance and agents). */
export const RTC_HTTP_SERVICE = Symbol('RTC_HTTP_SERVICE');
