/** The callback URL to set in the RTC console: RTC POSTs signed event callbacks here. */
export const RTC_EVENTS_PATH = '/v1/rtc/events';

/** The URL clients pass to `setServerParams`: RTC POSTs their messages to the server here. */
export const RTC_CLIENT_MESSAGES_PATH = '/v1/rtc/client-messages';

/** The events this instance handled lately (`x-api-key`). */
export const RTC_RECENT_EVENTS_PATH = '/v1/rtc/events/recent';

/** How many events `GET /v1/rtc/events/recent` lists at most. */
export const RECENT_EVENTS_LIMIT = 100;
