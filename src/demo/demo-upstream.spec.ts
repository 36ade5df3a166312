import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { demoUpstreamModel } from './demo-upstream';

describe('demoUpstreamModel (the demo emulator takes the RTC_EMULATOR_* adversaries)', () => {
  it('is the default gateway, with no line to print, when nothing is set', () => {
    expect(demoUpstreamModel({})).toEqual({ options: {} });
  });

  it('reads issue 20’s adversaries from the standalone emulator’s variables', () => {
    const { options, note } = demoUpstreamModel({
      RTC_EMULATOR_COUNT_AT: 'answer',
      RTC_EMULATOR_PROCESSING_US: '300',
      RTC_EMULATOR_STALL_EVERY_MS: '1500',
      RTC_EMULATOR_STALL_MS: '40',
      RTC_EMULATOR_JITTER_MS: '40',
      RTC_EMULATOR_RATE_LIMIT: '200',
    });
    expect(options).toEqual({
      countAt: 'answer',
      processingUs: 300,
      stallEveryMs: 1500,
      stallMs: 40,
      arrivalJitterMs: 40,
      rateLimitPerSecond: 200,
    });
    expect(note).toContain('countAt=answer');
    // The options are the emulator's own: it takes them as they are.
    expect(() => new RtcOpenApiEmulator(options)).not.toThrow();
  });

  it('keeps the demo’s credentials, AppIds and address whatever the shell says', () => {
    const { options } = demoUpstreamModel({
      RTC_EMULATOR_ACCESS_KEY_ID: 'AKLTother',
      RTC_EMULATOR_SECRET_ACCESS_KEY: 'other-secret',
      RTC_EMULATOR_APP_IDS: 'someOtherApp',
      RTC_EMULATOR_PORT: '4000',
    });
    expect(options).toEqual({});
  });

  it('refuses a bad value naming its flag, as the standalone emulator does', () => {
    expect(() => demoUpstreamModel({ RTC_EMULATOR_COUNT_AT: 'later' })).toThrow(/--count-at/);
  });
});
