import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UnauthorizedException } from '@nestjs/common';
import type { Middleware } from '../http/middleware';
import { isPublicPath } from './public-paths';

/** The header a caller proves itself with. */
export const API_KEY_HEADER = 'x-api-key';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether `presented` is one of the keys whose SHA-256 digests are `known`, in time that depends on
 * neither: both sides are hashed to the same length first (so `timingSafeEqual` never sees
 * lengths that differ), and every key is compared, with no early exit on a match.
 */
export function isKnownApiKey(presented: string, known: readonly Buffer[]): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (const candidate of known) {
    matched = timingSafeEqual(digest, candidate) || matched;
  }
  return matched;
}

/** Requests that presented a valid key; held weakly, so each goes with its request. */
const withValidKey = new WeakSet<IncomingMessage>();

/** Whether `request` presented one of `API_KEYS` (public requests are never marked). */
export function presentedValidApiKey(request: IncomingMessage): boolean {
  return withValidKey.has(request);
}

/**
 * Lets a request through only with an `x-api-key` header equal to one of `apiKeys`, or to a public
 * path (`isPublicPath`). Registered on the HTTP adapter before the JSON parser, so a caller
 * without a key is answered 401 before its body is read: Nest's guards run after the body parser,
 * which made anonymous callers' bodies read and parsed (up to the JSON limit) before the 401.
 * Node discards the unread rest of the body once the answer is sent.
 *
 * @example
 * app.use(apiKeyMiddleware(server.apiKeys));
 * app.useBodyParser('json', jsonBodyParserOptions(server.jsonBodyLimitBytes));
 */
export function apiKeyMiddleware(apiKeys: readonly string[]): Middleware {
  const knownDigests = apiKeys.map(sha256);
  return (request, _response, next) => {
    // The query is not part of the path; Express hands app-level middleware the full URL.
    if (isPublicPath((request.url ?? '/').split('?', 1)[0])) {
      next();
      return;
    }
    const presented = request.headers[API_KEY_HEADER];
    // A repeated header arrives joined ("a, b"), which matches no key: refused like any other.
    if (typeof presented !== 'string' || !isKnownApiKey(presented, knownDigests)) {
      next(new UnauthorizedException(`a valid ${API_KEY_HEADER} header is required`));
      return;
    }
    withValidKey.add(request);
    next();
  };
}
