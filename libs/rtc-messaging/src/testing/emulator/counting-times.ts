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
