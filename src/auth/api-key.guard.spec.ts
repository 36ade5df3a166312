import { timingSafeEqual } from 'node:crypto';
import { ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

function contextWith(headers: Record<string, string | string[]>): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  } as unknown as ExecutionContext;
}

describe('ApiKeyGuard', () => {
  const guard = new ApiKeyGuard({
    port: 3000,
    apiKeys: ['first-key', 'second-key', 'x'],
    maxRecipients: 10,
    jsonBodyLimitBytes: 1024,
  });

  it.each(['first-key', 'second-key', 'x'])('lets %s through', (key) => {
    expect(guard.canActivate(contextWith({ 'x-api-key': key }))).toBe(true);
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
    expect(() => guard.canActivate(contextWith(headers))).toThrow(UnauthorizedException);
  });

  it('compares against every key, not stopping at the first match', () => {
    const compare = jest.mocked(timingSafeEqual);
    compare.mockClear();
    guard.canActivate(contextWith({ 'x-api-key': 'first-key' }));
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) {
      // SHA-256 digests on both sides: the same length whatever the keys' lengths.
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});
