import { ArgumentsHost, Logger, UnauthorizedException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RtcRateLimitedError, RtcUpstreamError, RtcValidationError } from 'nestjs-volcengine-rtc';
import { HttpErrorFilter } from './http-error.filter';

describe('HttpErrorFilter', () => {
  const adapter = { setHeader: jest.fn(), reply: jest.fn() };
  const filter = new HttpErrorFilter({ httpAdapter: adapter } as unknown as HttpAdapterHost, {
    port: 3000,
    apiKeys: ['key'],
    maxRecipients: 10,
    jsonBodyLimitBytes: 1024,
  });
  const response = {};
  const host = {
    switchToHttp: () => ({
      getResponse: () => response,
      getRequest: () => ({ method: 'POST', originalUrl: '/v1/messages/unicast' }),
    }),
  } as unknown as ArgumentsHost;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    jest.clearAllMocks();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('sets Retry-After and answers the mapped body and status', () => {
    filter.catch(new RtcRateLimitedError(2_500), host);
    expect(adapter.setHeader).toHaveBeenCalledWith(response, 'Retry-After', '3');
    expect(adapter.reply).toHaveBeenCalledWith(
      response,
      expect.objectContaining({ statusCode: 429, outcome: 'not_delivered' }),
      429,
    );
  });

  it('sets no header for other errors', () => {
    filter.catch(new RtcUpstreamError({ status: 403, code: 'AccessDenied' }), host);
    expect(adapter.setHeader).not.toHaveBeenCalled();
    expect(adapter.reply).toHaveBeenCalledWith(response, expect.anything(), 502);
  });

  it('logs upstream failures and unexpected errors in one line, without a stack', () => {
    filter.catch(new RtcUpstreamError({ status: 403, code: 'AccessDenied' }), host);
    filter.catch(new TypeError('boom'), host);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('AccessDenied'));
    expect(error).toHaveBeenCalledWith('500: unexpected TypeError: boom');
    for (const [line, ...rest] of [...warn.mock.calls, ...error.mock.calls]) {
      expect(rest).toEqual([]);
      expect(String(line)).not.toMatch(/\n\s+at /);
    }
  });

  it('cuts a stream already under way instead of answering twice (ERR_HTTP_HEADERS_SENT)', () => {
    const streaming = { headersSent: true, writableEnded: false, destroy: jest.fn() };
    const streamHost = {
      switchToHttp: () => ({
        getResponse: () => streaming,
        getRequest: () => ({ method: 'GET', url: '/v1/fan-outs/x/results' }),
      }),
    } as unknown as ArgumentsHost;
    filter.catch(new TypeError('Redis went away mid-stream'), streamHost);
    expect(streaming.destroy).toHaveBeenCalledTimes(1);
    expect(adapter.reply).not.toHaveBeenCalled();
    expect(adapter.setHeader).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledWith('500: unexpected TypeError: Redis went away mid-stream');
  });

  it("does not log the caller's mistakes", () => {
    filter.catch(new RtcValidationError([{ field: 'to', rule: 'rtcId', message: 'bad' }]), host);
    filter.catch(new UnauthorizedException(), host);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});
