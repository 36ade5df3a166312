import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { serverConfig, type ServerConfig } from '../config';

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

/** Lets a request through only with an `x-api-key` header equal to one of `API_KEYS`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly knownDigests: readonly Buffer[];

  constructor(@Inject(serverConfig.KEY) config: ServerConfig) {
    this.knownDigests = config.apiKeys.map(sha256);
  }

  canActivate(context: ExecutionContext): boolean {
    const presented = context.switchToHttp().getRequest<IncomingMessage>().headers[API_KEY_HEADER];
    // A repeated header arrives joined ("a, b"), which matches no key: refused like any other.
    if (typeof presented !== 'string' || !isKnownApiKey(presented, this.knownDigests)) {
      throw new UnauthorizedException(`a valid ${API_KEY_HEADER} header is required`);
    }
    return true;
  }
}
