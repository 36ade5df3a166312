/**
 * Room a single message's JSON body needs at most. Well above the biggest valid message (64 KB of
 * text is up to ~87 KB of JSON once escaped, or 88 KB as base64), so an oversized message still
 * reaches validation and is told its size; far below what would let one caller tie up memory.
 */
export const MESSAGE_BODY_BYTES = 256 * 1024;

/** The longest RTC id (128 characters) as a JSON list entry: quoted, with its comma. */
const BYTES_PER_RECIPIENT = 128 + 3;

/**
 * Largest JSON body the app reads: a message and a list of `maxRecipients` ids of the longest
 * kind, so that every list the cap allows fits, whatever its ids. One limit for every route: the
 * list routes need it, and a single message's route gains nothing worth a second parser from a
 * smaller one (a body between the two is still read, then refused by validation with its size).
 *
 * @example
 * jsonBodyLimitBytes(10_000) // 1,572,144 = 262,144 + 10,000 × 131
 */
export function jsonBodyLimitBytes(maxRecipients: number): number {
  return MESSAGE_BODY_BYTES + maxRecipients * BYTES_PER_RECIPIENT;
}
