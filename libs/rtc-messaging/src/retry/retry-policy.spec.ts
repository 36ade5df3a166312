import {
  RtcClockSkewError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
} from '../errors';
import { backoffDelayMs, isRetryable } from './retry-policy';

const upstream = (status: number, code: string) => new RtcUpstreamError({ status, code });
const atMostOnce = { unknownOutcome: false };
const atLeastOnce = { unknownOutcome: true };

describe('isRetryable', () => {
  it.each([
    ['an upstream 429', new RtcRateLimitedError(1_000, { status: 429, code: 'FlowLimitExceeded' })],
    ['503 ServiceUnavailableTemp', upstream(503, 'ServiceUnavailableTemp')],
    ['502 FailToConnect', upstream(502, 'FailToConnect')],
    ['a refused connection', new RtcTransportError('connect', 'ECONNREFUSED')],
    ['a connect timeout', new RtcTransportError('timeout', 'ETIMEDOUT')],
  ])('retries %s: the message surely was not accepted', (_, error) => {
    expect(isRetryable(error, atMostOnce)).toBe(true);
  });

  it.each([
    ['the local budget refusing', new RtcRateLimitedError(1_000)],
    ['a bad parameter', upstream(400, 'InvalidParameter.IllegalTo')],
    ['a bad signature', upstream(401, 'SignatureDoesNotMatch')],
    ['a skewed clock', new RtcClockSkewError({ status: 400, code: 'InvalidTimestamp' })],
    ['invalid input', new RtcValidationError([])],
    ['a non-envelope refusal', new RtcTransportError('bad_response', 'HTTP 403')],
    ['a foreign error', new Error('boom')],
  ])('does not retry %s', (_, error) => {
    expect(isRetryable(error, atLeastOnce)).toBe(false);
  });

  it.each(['timeout', 'reset', 'upstream_error', 'bad_response'] as const)(
    'retries an unknown outcome (%s) only when at-least-once is chosen',
    (reason) => {
      const error = new RtcUnknownOutcomeError(reason, 'x');
      expect(isRetryable(error, atMostOnce)).toBe(false);
      expect(isRetryable(error, atLeastOnce)).toBe(true);
    },
  );
});

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
  const error = new RtcTransportError('connect', 'x');

  it('draws uniformly below a ceiling that doubles per attempt (full jitter)', () => {
    expect(backoffDelayMs(1, error, options, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, error, options, () => 0.999)).toBe(199);
    expect(backoffDelayMs(3, error, options, () => 0.5)).toBe(200);
    expect(backoffDelayMs(3, error, options, () => 0)).toBe(0);
  });

  it('caps the ceiling at maxDelayMs', () => {
    expect(backoffDelayMs(20, error, options, () => 0.999)).toBe(999);
  });

  it("honours the upstream's Retry-After over the backoff", () => {
    const throttled = new RtcRateLimitedError(1_500, {
      status: 429,
      code: 'FlowLimitExceeded',
      retryAfterMs: 1_500,
    });
    expect(backoffDelayMs(1, throttled, options, () => 0)).toBe(1_500);
    const busy = new RtcUpstreamError({
      status: 503,
      code: 'ServiceUnavailableTemp',
      retryAfterMs: 700,
    });
    expect(backoffDelayMs(1, busy, options, () => 0)).toBe(700);
  });

  it('backs off as usual when a throttled answer carried no Retry-After', () => {
    const throttled = new RtcRateLimitedError(1_000, { status: 429, code: 'FlowLimitExceeded' });
    expect(backoffDelayMs(1, throttled, options, () => 0.5)).toBe(50);
  });
});
