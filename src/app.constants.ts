/**
 * Largest JSON body the app reads. Well above the biggest valid message (64 KB of text is up to
 * ~87 KB of JSON once escaped, or 88 KB as base64), so an oversized message still reaches
 * validation and is told its size; far below what would let one caller tie up memory.
 */
export const MAX_JSON_BODY_BYTES = 256 * 1024;
