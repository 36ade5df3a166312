import {
  BadRequestException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import {
  RtcBudgetUnavailableError,
  RtcClockSkewError,
  RtcConfigurationError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
} from 'nestjs-volcengine-rtc';
import { toErrorResponse } from './error-response';

const LIMIT = 262_144;
const upstream = {
  status: 401,
  code: 'SignatureDoesNotMatch',
  codeN: 100010,
  requestId: '20260101000000ABCDEF',
  upstreamMessage: 'the request signature does not match',
};

describe('toErrorResponse', () => {
  it('RtcValidationError → 400 with each violation', () => {
    const violations = [
      { field: 'to', rule: 'rtcId', message: 'to must be a string of 1 to 128 characters' },
      { field: 'message', rule: 'maxMessageBytes', message: 'message is 70,000 bytes' },
    ];
    const { status, headers, body } = toErrorResponse(new RtcValidationError(violations), LIMIT);
    expect(status).toBe(400);
    expect(headers).toEqual({});
    expect(body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      violations,
      outcome: 'not_delivered',
    });
    expect(body.message).toContain('message is 70,000 bytes');
  });

  it('upstream throttling → 429 with Retry-After in whole seconds, rounded up', () => {
    const error = new RtcRateLimitedError(1_200, {
      status: 429,
      code: 'FlowLimitExceeded.QPSOverLimit',
      requestId: 'req-1',
    });
    const { status, headers, body } = toErrorResponse(error, LIMIT);
    expect(status).toBe(429);
    expect(headers).toEqual({ 'Retry-After': '2' });
    expect(body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      outcome: 'not_delivered',
      retryAfterSeconds: 2,
      upstreamStatus: 429,
      code: 'FlowLimitExceeded.QPSOverLimit',
      requestId: 'req-1',
    });
  });

  it('the local budget → 429 with at least one second of Retry-After', () => {
    const { status, headers, body } = toErrorResponse(new RtcRateLimitedError(3), LIMIT);
    expect(status).toBe(429);
    expect(headers).toEqual({ 'Retry-After': '1' });
    expect(body).not.toHaveProperty('code');
  });

  it('RtcUpstreamError → 502 with code, codeN and requestId', () => {
    const { status, body } = toErrorResponse(new RtcUpstreamError(upstream), LIMIT);
    expect(status).toBe(502);
    expect(body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      outcome: 'not_delivered',
      upstreamStatus: 401,
      code: 'SignatureDoesNotMatch',
      codeN: 100010,
      requestId: '20260101000000ABCDEF',
    });
    expect(body.message).toContain('SignatureDoesNotMatch');
  });

  it('RtcClockSkewError (an upstream refusal) → 502 with the hint to sync the clock', () => {
    const error = new RtcClockSkewError({
      ...upstream,
      status: 400,
      code: 'InvalidTimestamp',
      codeN: 100006,
    });
    const { status, body } = toErrorResponse(error, LIMIT);
    expect(status).toBe(502);
    expect(body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      code: 'InvalidTimestamp',
      codeN: 100006,
      upstreamStatus: 400,
      outcome: 'not_delivered',
    });
    expect(body.message).toMatch(/sync the clock \(NTP\)/);
  });

  it.each([
    ['connect', 503, 'Service Unavailable'],
    ['bad_response', 503, 'Service Unavailable'],
    ['timeout', 504, 'Gateway Timeout'],
  ] as const)('RtcTransportError %s → %i, not delivered', (failure, status, reason) => {
    const error = new RtcTransportError(failure, 'ECONNREFUSED (connect 10.0.0.7:443)');
    const response = toErrorResponse(error, LIMIT);
    expect(response).toMatchObject({
      status,
      body: { statusCode: status, error: reason, outcome: 'not_delivered', failure },
    });
    expect(response.body.message).toContain('not');
    expect(response.body.message).not.toContain('may have been delivered');
    // The library's detail names the endpoint's address; callers are not told it.
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.7');
  });

  it.each([
    ['timeout', 504, 'Gateway Timeout'],
    ['reset', 502, 'Bad Gateway'],
    ['bad_response', 502, 'Bad Gateway'],
    ['upstream_error', 502, 'Bad Gateway'],
  ] as const)('RtcUnknownOutcomeError %s → %i, outcome unknown', (reason, status, phrase) => {
    const { body, ...rest } = toErrorResponse(
      new RtcUnknownOutcomeError(reason, 'socket hang up (10.0.0.7:443)'),
      LIMIT,
    );
    expect(rest.status).toBe(status);
    expect(body).toMatchObject({
      statusCode: status,
      error: phrase,
      outcome: 'unknown',
      failure: reason,
    });
    expect(body.message).toContain('may have been delivered');
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  });

  it('never answers 503 when the message may have been delivered', () => {
    const reasons = ['timeout', 'reset', 'bad_response', 'upstream_error'] as const;
    for (const reason of reasons) {
      const { status, body } = toErrorResponse(new RtcUnknownOutcomeError(reason, ''), LIMIT);
      expect([502, 504]).toContain(status);
      expect(body.outcome).toBe('unknown');
    }
  });

  it('RtcBudgetUnavailableError → 503, not delivered, without the store address', () => {
    const error = new RtcBudgetUnavailableError('redis take failed', {
      cause: new Error('connect ECONNREFUSED 10.0.0.9:6379'),
    });
    const { status, headers, body } = toErrorResponse(error, LIMIT);
    expect(status).toBe(503);
    expect(headers).toEqual({});
    expect(body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      outcome: 'not_delivered',
      failure: 'budget_unavailable',
    });
    expect(body.message).toMatch(/call budget.*not sent/);
    expect(JSON.stringify(body)).not.toContain('10.0.0.9');
  });

  it('an upstream 500 (outcome unknown) → 502 with the upstream code', () => {
    const error = new RtcUnknownOutcomeError('upstream_error', '', {
      status: 500,
      code: 'InternalError',
      codeN: 100014,
      requestId: 'req-500',
    });
    expect(toErrorResponse(error, LIMIT)).toMatchObject({
      status: 502,
      body: {
        outcome: 'unknown',
        failure: 'upstream_error',
        upstreamStatus: 500,
        code: 'InternalError',
        codeN: 100014,
        requestId: 'req-500',
      },
    });
  });

  it('RtcConfigurationError → 500 without its problems', () => {
    const { status, body } = toErrorResponse(new RtcConfigurationError(['from is bad']), LIMIT);
    expect(status).toBe(500);
    expect(body.message).not.toContain('from is bad');
  });

  it.each([
    [new UnauthorizedException('a valid x-api-key header is required'), 401, 'Unauthorized'],
    [new NotFoundException('Cannot GET /nope'), 404, 'Not Found'],
    [new BadRequestException(['a', 'b']), 400, 'Bad Request'],
  ])('an HttpException keeps its status in the common shape', (exception, status, reason) => {
    const { body } = toErrorResponse(exception, LIMIT);
    expect(body).toMatchObject({ statusCode: status, error: reason });
    expect(typeof body.message).toBe('string');
  });

  it("keeps terminus's report in a failed health check", () => {
    const report = { status: 'error', info: {}, error: { rtc: { status: 'down' } }, details: {} };
    const { status, body } = toErrorResponse(new ServiceUnavailableException(report), LIMIT);
    expect(status).toBe(503);
    expect(body).toMatchObject({ statusCode: 503, ...report });
  });

  it("a body over the parser's limit → 413 naming the limit", () => {
    const error = Object.assign(new Error('request entity too large'), {
      type: 'entity.too.large',
      status: 413,
    });
    expect(toErrorResponse(error, LIMIT)).toMatchObject({
      status: 413,
      body: {
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.stringContaining('262,144'),
      },
    });
  });

  it("the parser's errors as Nest's Express adapter wraps them", () => {
    const cause = Object.assign(new Error('request entity too large'), {
      type: 'entity.too.large',
      status: 413,
    });
    const wrapped = new HttpException('request entity too large', 413, { cause });
    expect(toErrorResponse(wrapped, LIMIT)).toMatchObject({
      status: 413,
      body: { message: expect.stringContaining('262,144') },
    });
  });

  it('a body that is not JSON → 400 without quoting it', () => {
    const error = Object.assign(new SyntaxError('Unexpected token s in "secret-ish"'), {
      type: 'entity.parse.failed',
      status: 400,
    });
    const { status, body } = toErrorResponse(error, LIMIT);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('secret-ish');
  });

  it('anything else → 500 without its message', () => {
    const { status, body } = toErrorResponse(
      new Error('Authorization: HMAC-SHA256 abc'),
      LIMIT,
      'other',
    );
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal server error',
    });
  });

  describe('outcome: on every error of a request that sends, on none of the others', () => {
    const invalid = new RtcValidationError([{ field: 'userId', rule: 'rtcId', message: 'bad' }]);

    it.each([
      [new UnauthorizedException('a valid x-api-key header is required'), 'not_delivered'],
      [new ServiceUnavailableException('fan-out jobs are not available'), 'not_delivered'],
      [invalid, 'not_delivered'],
      [new Error('after the call, maybe'), 'unknown'],
    ])('a request that sends: %p → outcome %s', (exception, outcome) => {
      expect(toErrorResponse(exception, LIMIT, 'send').body.outcome).toBe(outcome);
    });

    it.each([
      [invalid],
      [new UnauthorizedException('a valid x-api-key header is required')],
      [new RtcUpstreamError({ status: 500, code: 'InternalError' })],
    ])('a request that sends nothing: %p → no outcome', (exception) => {
      const { body } = toErrorResponse(exception, LIMIT, 'other');
      expect(body).not.toHaveProperty('outcome');
      expect(body).toMatchObject({ statusCode: expect.any(Number) as number });
    });
  });
});
