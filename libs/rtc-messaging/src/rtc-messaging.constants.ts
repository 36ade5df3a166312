/** Injection token of the resolved (validated, defaulted) module options. */
export const RTC_MESSAGING_OPTIONS = Symbol('RTC_MESSAGING_OPTIONS');

/**
 * Injection token of the module's own `HttpService` (an `RtcHttpService`: its own axios instance
 * and agents). Exported by `RtcMessagingModule`: inject it to add axios interceptors to the
 * module's calls, e.g. `@Inject(RTC_HTTP_SERVICE) http: HttpService`, then
 * `http.axiosRef.interceptors.request.use(...)`.
 */
export const RTC_HTTP_SERVICE = Symbol('RTC_HTTP_SERVICE');

/** Injection token of the module's `CallBudget`, keyed per AppId (`null` with `rateLimit: false`). */
export const RTC_CALL_BUDGET = Symbol('RTC_CALL_BUDGET');
