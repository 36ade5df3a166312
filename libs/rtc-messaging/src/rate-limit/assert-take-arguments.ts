/**
 * Checks `tryTake`'s limit and window, the same way for every store: a limit below one would refuse
 * forever with no time to retry at, and a fractional one has no meaning for whole calls.
 */
export function assertTakeArguments(limit: number, windowMs: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
}
