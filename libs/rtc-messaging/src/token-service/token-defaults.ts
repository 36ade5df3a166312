import { RTC_TOKEN_MAX_LIFETIME_SECONDS } from '../tokens';

/** How long a token is valid when neither the call nor the module says: one day. */
export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;

/** The longest a token may be made valid for: the 7 days after which the service refuses it anyway. */
export const MAX_TOKEN_TTL_SECONDS = RTC_TOKEN_MAX_LIFETIME_SECONDS;

/** Why the bound: a longer token would look valid here and be refused by the service. */
export const TOKEN_TTL_RULE = `from 1 to ${MAX_TOKEN_TTL_SECONDS.toLocaleString('en-US')} seconds (7 days: the RTC service refuses a token older than that)`;
