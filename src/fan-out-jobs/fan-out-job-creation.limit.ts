import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
import { API_KEY_HEADER, presentedValidApiKey } from '../auth/api-key.middleware';
import type { Middleware } from '../http/middleware';
import { createsFanOutJob } from './fan-out-jobs.body-parser';

/**
 * When a refused caller may try again, in seconds. A creation's length is not known (a million
 * ids stream in for seconds); a second is long enough not to spin, short enough not to stall.
 */
export const CREATION_RETRY_AFTER_SECONDS = 1;

/** 429: the API key has as many job creations under way as it may. */
export class TooManyJobCreationsException extends HttpException {
  constructor(perKey: number) {
    super(
      {
        message: `this API key already has ${perKey} fan-out job creation${perKey === 1 ? '' : 's'} under way (FAN_OUT_JOB_CREATIONS_PER_KEY); try again when one has been answered`,
        retryAfterSeconds: CREATION_RETRY_AFTER_SECONDS,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * At most `perKey` `POST /v1/fan-outs` under way per API key on this instance: one more is answered
 * 429 with `Retry-After` before its body is read. A creation reads, validates and writes up to a
 * million ids; without a bound one key could start enough of them at once to hold every other
 * caller's. Registered after the API key check and before the body parsers; a creation counts
 * until its answer is sent or its connection closes.
 *
 * @example
 * app.use(apiKeyMiddleware(keys));
 * app.use(fanOutJobCreationLimit(jobs.creationsPerKey));
 */
export function fanOutJobCreationLimit(perKey: number): Middleware {
  // Keyed by the key's digest: the keys themselves are never kept beyond the request.
  const underWay = new Map<string, number>();
  return (request: IncomingMessage, response, next) => {
    const presented = request.headers[API_KEY_HEADER];
    if (
      !createsFanOutJob(request) ||
      !presentedValidApiKey(request) ||
      typeof presented !== 'string'
    ) {
      next();
      return;
    }
    const key = createHash('sha256').update(presented, 'utf8').digest('base64');
    const count = underWay.get(key) ?? 0;
    if (count >= perKey) {
      next(new TooManyJobCreationsException(perKey));
      return;
    }
    underWay.set(key, count + 1);
    // 'close' comes once per response, answered or cut off.
    response.once('close', () => {
      const left = (underWay.get(key) ?? 1) - 1;
      if (left > 0) underWay.set(key, left);
      else underWay.delete(key);
    });
    next();
  };
}
