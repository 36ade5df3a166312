import type { GcraRate } from './rate-limit-store.interface';

/**
 * Checks `tryTake`'s rate, the same way for every store: an interval that is not a positive finite
 * number would grant without end (or never), and a fractional burst has no meaning for whole calls.
 */
export function assertTakeArguments(rate: GcraRate): void {
  const { intervalMs, burst } = rate;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`intervalMs must be a positive finite number, got ${intervalMs}`);
  }
  if (!Number.isInteger(burst) || burst < 0) {
    throw new RangeError(`burst must be an integer ≥ 0, got ${burst}`);
  }
}
