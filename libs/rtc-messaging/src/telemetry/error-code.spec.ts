import {
  DOCUMENTED_ERROR_CODES,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  UpstreamErrorDetails,
} from '../errors';
import { errorCodeOf, OTHER_ERROR_CODE } from './error-code';

const answer = (code: string, status = 400): UpstreamErrorDetails => ({
  status,
  code,
  requestId: 'req-1',
});

describe('errorCodeOf: a bounded label for metrics and log summaries', () => {
  it('keeps every documented upstream code, and HTTP<status> for an answer without one', () => {
    for (const code of DOCUMENTED_ERROR_CODES) {
      expect(errorCodeOf(new RtcUpstreamError(answer(code)))).toBe(code);
    }
    expect(errorCodeOf(new RtcUpstreamError(answer('HTTP418', 418)))).toBe('HTTP418');
    expect(
      errorCodeOf(new RtcRateLimitedError(1_000, answer('FlowLimitExceeded.QPSOverLimit', 429))),
    ).toBe('FlowLimitExceeded.QPSOverLimit');
  });

  it('counts an undocumented upstream code as Other, and the error keeps the raw code', () => {
    const codes = [
      'InvalidParameter.SomethingNew',
      'InternalError.Something',
      'X'.repeat(65),
      'Bad Code\nwith a line break',
      '',
    ];
    for (const code of codes) {
      const error = new RtcUpstreamError(answer(code));
      expect(errorCodeOf(error)).toBe(OTHER_ERROR_CODE);
      expect(error.code).toBe(code);
    }
    const throttled = new RtcRateLimitedError(1_000, answer('FlowLimitExceeded.Made_Up', 429));
    expect(errorCodeOf(throttled)).toBe('Other');
    const unknown = new RtcUnknownOutcomeError('upstream_error', 'x', answer('Oops.1', 500));
    expect(errorCodeOf(unknown)).toBe('Other');
  });

  it("keeps the module's own codes, and folds an error name that is not a tidy label", () => {
    expect(errorCodeOf(new RtcRateLimitedError(1_000))).toBe('BudgetExhausted');
    expect(errorCodeOf(new RtcTransportError('connect', 'ECONNREFUSED'))).toBe('Transport.connect');
    expect(errorCodeOf(new RtcUnknownOutcomeError('timeout', 'x'))).toBe('Unknown.timeout');
    const odd = new Error('x');
    odd.name = 'Name with spaces';
    expect(errorCodeOf(odd)).toBe('Other');
    expect(errorCodeOf(new TypeError('x'))).toBe('TypeError');
  });
});
