import type { RtcOpenApiEmulator } from './rtc-openapi-emulator';

/** Counting times of one run, in epoch ms on the emulator's clock, each list in time order. */
export interface CountingTimesReport {
  /** When the rate window counted each accepted call (`AcceptedMessage.countedAt`). */
  readonly accepted: number[];
  /** When each `FlowLimitExceeded.QPSOverLimit` answer was written. */
  readonly throttled: number[];
}

const THROTTLED = 'FlowLimitExceeded.QPSOverLimit';

/**
 * Records when an emulator counted each accepted call and throttled each refused one, for a
 * benchmark in another process to measure a pacer by the window it actually filled: times as the
 * window saw them, not as a client saw the answers.
 */
export class CountingTimes {
  private readonly accepted: number[] = [];
  private readonly throttled: number[] = [];

  /** Starts recording `emulator`'s calls. */
  constructor(emulator: RtcOpenApiEmulator) {
    emulator.on('accepted', (message) => this.accepted.push(message.countedAt));
    emulator.on('rejected', (call) => {
      if (call.code === THROTTLED) this.throttled.push(call.at);
    });
  }

  /** What was recorded so far, sorted, rounded to the microsecond (the JSON stays small). */
  report(): CountingTimesReport {
    const tidy = (times: number[]) =>
      times.map((t) => Math.round(t * 1000) / 1000).sort((a, b) => a - b);
    return { accepted: tidy(this.accepted), throttled: tidy(this.throttled) };
  }
}

/**
 * The window rate of a run: `limit × 1,000` divided by the mean time in ms from each accepted
 * call to the `limit`-th accepted after it, over every call that has one (`NaN` with `limit` calls
 * or fewer). `times` are counting times (epoch ms, sorted).
 *
 * Its ceiling is exactly `limit`: a sliding window of `limit` per second admits the `limit`-th
 * call after another no sooner than 1,000 ms after it, so every gap is at least 1,000 ms. Unlike
 * "calls from first to last accepted", no shape of pacing can flatter it: a pacer that sends a
 * whole window at once and then waits scores the limit, not 125%.
 */
export function windowRate(times: readonly number[], limit: number): number {
  const pairs = times.length - limit;
  if (pairs <= 0) return Number.NaN;
  let gaps = 0;
  for (let i = 0; i < pairs; i++) gaps += times[i + limit] - times[i];
  return (limit * 1_000) / (gaps / pairs);
}
