import { parseEmulatorArgs, type RtcOpenApiEmulatorOptions } from 'nestjs-volcengine-rtc/testing';

/**
 * The variables of the standalone emulator that model a harder gateway (issue 20's adversaries),
 * which the demo's embedded emulator takes too: `RTC_EMULATOR_COUNT_AT=answer`,
 * `RTC_EMULATOR_PROCESSING_US`, `RTC_EMULATOR_STALL_EVERY_MS` with `RTC_EMULATOR_STALL_MS`,
 * `RTC_EMULATOR_JITTER_MS` and `RTC_EMULATOR_RATE_LIMIT`. Its credentials, AppIds and address stay
 * the demo's: the app and the printed commands depend on them.
 */
const UPSTREAM_MODEL = [
  'countAt',
  'processingUs',
  'stallEveryMs',
  'stallMs',
  'arrivalJitterMs',
  'rateLimitPerSecond',
] as const satisfies readonly (keyof RtcOpenApiEmulatorOptions)[];

type UpstreamModel = Pick<RtcOpenApiEmulatorOptions, (typeof UPSTREAM_MODEL)[number]>;

/** The demo emulator's upstream model, with a line saying it, or none when it is the default. */
export function demoUpstreamModel(shell: Readonly<Record<string, string | undefined>>): {
  readonly options: UpstreamModel;
  readonly note?: string;
} {
  // Same parser, same variables and same errors as `emulator.main`: a bad value stops the demo
  // with the variable's flag named.
  const parsed = parseEmulatorArgs([], shell);
  const options: { -readonly [K in keyof UpstreamModel]: UpstreamModel[K] } = {};
  for (const field of UPSTREAM_MODEL) {
    if (parsed[field] !== undefined) Object.assign(options, { [field]: parsed[field] });
  }
  const set = Object.entries(options).map(([name, value]) => `${name}=${String(value)}`);
  return set.length === 0
    ? { options }
    : { options, note: `Emulator upstream model: ${set.join(', ')} (from RTC_EMULATOR_*)` };
}
