/**
 * Splits `length` positions into consecutive `[start, end)` ranges of at most `size`, in order:
 * 1,201 ids in calls of 600 are `[0, 600)`, `[600, 1200)`, `[1200, 1201)`.
 *
 * @example
 * [...batchRanges(1201, 600)] // [{ start: 0, end: 600 }, { start: 600, end: 1200 }, { start: 1200, end: 1201 }]
 */
export function* batchRanges(
  length: number,
  size: number,
): Generator<{ readonly start: number; readonly end: number }> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  }
  for (let start = 0; start < length; start += size) {
    yield { start, end: Math.min(start + size, length) };
  }
}
