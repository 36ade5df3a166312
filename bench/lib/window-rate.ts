import { windowRate } from '../../libs/rtc-messaging/src/testing/emulator/counting-times';

/**
 * How full a pacer kept the upstream's window, measured from the times the emulator's window
 * counted each call (not from when clients saw answers, and not first-to-last, which a pacer that
 * sends a whole window at once can inflate to 125% on 2,500 calls).
 */
export interface WindowFill {
  /** Accepted calls counted from the first request on. */
  readonly accepted: number;
  /** The emulator's `windowRate` of these calls: at most `limit`. */
  readonly windowRate: number;
  /** From the first request to the first accepted call's count, in ms. */
  readonly firstAcceptedMs: number;
  /** `1 − (calls counted in the first 1,000 ms after the first request) ÷ limit`. */
  readonly lostInFirstSecond: number;
  /** Throttles, in seconds after the first accepted call. */
  readonly throttledAfterS: number[];
}

/**
 * @param accepted counting times of accepted calls (epoch ms, sorted); those before
 *   `firstRequestAt` (a warm-up) are left out.
 * @param throttled times of the throttles (epoch ms, sorted); likewise.
 * @param firstRequestAt when the measured load sent its first request (epoch ms, same machine).
 * @param limit the window's limit per second.
 * @param slackMs how far before `firstRequestAt` a count may still belong to the load: the
 *   processes' clocks agree to about a millisecond, and a warm-up ends well before.
 */
export function windowFill(
  accepted: readonly number[],
  throttled: readonly number[],
  firstRequestAt: number,
  limit: number,
  slackMs = 50,
): WindowFill {
  const from = firstRequestAt - slackMs;
  const times = accepted.filter((t) => t >= from);
  const firstSecond = times.filter((t) => t < firstRequestAt + 1_000).length;
  return {
    accepted: times.length,
    windowRate: windowRate(times, limit),
    firstAcceptedMs: times.length > 0 ? times[0] - firstRequestAt : Number.NaN,
    lostInFirstSecond: 1 - Math.min(firstSecond, limit) / limit,
    throttledAfterS: throttled.filter((t) => t >= from).map((t) => (t - times[0]) / 1_000),
  };
}

/** "1.31 1.35 1.42 (+3 more)": where the throttles came, short enough for a table cell. */
export function describeThrottles(afterS: readonly number[], shown = 4): string {
  if (afterS.length === 0) return '';
  const head = afterS.slice(0, shown).map((s) => s.toFixed(2));
  return `${head.join(' ')}${afterS.length > shown ? ` (+${afterS.length - shown})` : ''} s`;
}
