/**
 * The rules of the Volcengine RTC OpenAPI that this module enforces, in one place.
 *
 * Source: Volcengine RTC docs 6348/1164061 (SendUnicast, 2023-07-20), 6348/69828 (request structure),
 * 6348/1178322 (response structure), as gathered in the project's volcengine-facts notes §1.4, §3, §5.
 */

/** Signing service name for RTC. */
export const RTC_SERVICE = 'rtc';

/** Region of the mainland China endpoint. */
export const DEFAULT_REGION = 'cn-north-1';

/** The RTC OpenAPI endpoint in mainland China. */
export const DEFAULT_ENDPOINT = 'https://rtc.volcengineapi.com';

/** The four messaging actions; they share one call budget. */
export const MESSAGING_ACTIONS = [
  'SendUnicast',
  'SendRoomUnicast',
  'SendBroadcast',
  'BatchSendRoomUnicast',
] as const;

/** One of {@link MESSAGING_ACTIONS}. */
export type MessagingAction = (typeof MESSAGING_ACTIONS)[number];

/** API version of the messaging actions. */
export const MESSAGING_API_VERSION = '2023-07-20';

/** Text and binary messages are at most 64 KB; we read KB as 1,024 bytes (the docs do not say). */
export const MAX_MESSAGE_BYTES = 65_536;

/** BatchSendRoomUnicast messages are at most 20 KB (read as 20 × 1,024 bytes), text or binary. */
export const MAX_BATCH_MESSAGE_BYTES = 20_480;

/** BatchSendRoomUnicast takes at most this many recipients (`To` entries) per call. */
export const MAX_BATCH_RECIPIENTS = 600;

/**
 * The id rule for `From`, `To`, `RoomId` (and `AppId`): 1 to 128 of `a-z A-Z 0-9 _ @ - .`.
 * Docs: SendUnicast `From` is `[a-zA-Z0-9_@\-\.]{1,128}`; 69828 gives the same set for every id.
 * The docs give AppId no rule (real ones are 24 hex digits); it follows the id rule so that a
 * caller cannot send huge AppIds, each of which would also get a budget key of its own.
 */
export const ID_PATTERN = /^[a-zA-Z0-9_@.-]{1,128}$/;

/**
 * Whether a text message is well-formed UTF-16 (no unpaired surrogate). The upstream decodes JSON
 * into UTF-8 and would deliver U+FFFD for an unpaired `\ud800`, so such text is refused rather
 * than silently changed. `isWellFormed` (Node 20) is a native scan, cheap on the hot path.
 */
export const isWellFormedText = (text: string): boolean =>
  (text as string & { isWellFormed(): boolean }).isWellFormed();

/** One AppId may make at most this many calls per second, summed over the four messaging actions. */
export const MESSAGING_CALLS_PER_SECOND = 500;

/** Go and Node SDKs time out after 10 s; we take the same default. */
export const DEFAULT_TIMEOUT_MS = 10_000;
