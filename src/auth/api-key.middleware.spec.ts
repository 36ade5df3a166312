import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnauthorizedException } from '@nestjs/common';
import { apiKeyMiddleware, presentedValidApiKey } from './api-key.middleware';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const request = (headers: Record<string, string | string[]>, url = '/v1/messages/unicast') =>
  ({ url, headers }) as unknown as IncomingMessage;

describe('apiKeyMiddleware', () => {
  const middleware = apiKeyMiddleware(['first-key', 'second-key', 'x']);

  /** What the middleware passed to `next`: `undefined` lets the request through. */
  function outcomeOf(incoming: IncomingMessage): unknown {
    const next = jest.fn();
    middleware(incoming, {} as ServerResponse, next);
    expect(next).toHaveBeenCalledTimes(1);
    return next.mock.calls[0][0];
  }

  it.each(['first-key', 'second-key', 'x'])('lets %s through, marked as keyed', (key) => {
    const incoming = request({ 'x-api-key': key });
    expect(outcomeOf(incoming)).toBeUndefined();
    expect(presentedValidApiKey(incoming)).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['an empty key', { 'x-api-key': '' }],
    ['a wrong key', { 'x-api-key': 'wrong-key' }],
    ['a prefix of a key', { 'x-api-key': 'first' }],
    ['a key with a suffix', { 'x-api-key': 'first-key2' }],
    ['a key in another case', { 'x-api-key': 'FIRST-KEY' }],
    ['a key with spaces', { 'x-api-key': ' first-key ' }],
    ['two keys joined', { 'x-api-key': 'first-key, second-key' }],
    ['a repeated header', { 'x-api-key': ['first-key', 'second-key'] }],
    ['the key in another header', { authorization: 'first-key' }],
  ])('refuses %s with 401', (_, headers) => {
    const incoming = request(headers);
    expect(outcomeOf(incoming)).toBeInstanceOf(UnauthorizedException);
    expect(presentedValidApiKey(incoming)).toBe(false);
  });

  it.each([
    '/health/live',
    '/health/ready?verbose=1',
    '/docs',
    '/docs/swagger-ui.css',
    '/docs-json',
    '/metrics',
  ])('lets %s through without a key, unmarked', (url) => {
    const incoming = request({}, url);
    expect(outcomeOf(incoming)).toBeUndefined();
    expect(presentedValidApiKey(incoming)).toBe(false);
  });

  it.each(['/healthz', '/docs-yaml', '/v1/health', '/', '/nothing?/health'])(
    'asks a key for %s',
    (url) => {
      expect(outcomeOf(request({}, url))).toBeInstanceOf(UnauthorizedException);
    },
  );

  it.each(['/v1/rtc/events', '/v1/rtc/events?x=1', '/v1/rtc/client-messages'])(
    "lets RTC's %s through without a key (its signature or token is the proof), unmarked",
    (url) => {
      const incoming = request({}, url);
      expect(outcomeOf(incoming)).toBeUndefined();
      expect(presentedValidApiKey(incoming)).toBe(false);
    },
  );

  it.each(['/v1/rtc/events/recent', '/v1/rtc/events/', '/v1/rtc/client-messages/x', '/v1/rtc'])(
    'asks a key for %s: only the exact inbound paths are open',
    (url) => {
      expect(outcomeOf(request({}, url))).toBeInstanceOf(UnauthorizedException);
    },
  );

  it('compares against every key, not stopping at the first match', () => {
    const compare = jest.mocked(timingSafeEqual);
    compare.mockClear();
    outcomeOf(request({ 'x-api-key': 'first-key' }));
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) {
      // SHA-256 digests on both sides: the same length whatever the keys' lengths.
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});
