import type { IncomingMessage } from 'node:http';
import { jsonBodyLimitBytes } from '../app.constants';
import { readsJsonBodyOf } from '../http/json-body-parser';

/** Where fan-out jobs are created: the one route whose body may hold a million ids. */
export const FAN_OUT_JOBS_PATH = '/v1/fan-outs';

/** `POST /v1/fan-outs`, whatever its query string. */
function createsFanOutJob(request: IncomingMessage): boolean {
  if (request.method !== 'POST') return false;
  const path = (request.url ?? '').split('?', 1)[0].replace(/\/+$/, '');
  return path === FAN_OUT_JOBS_PATH;
}

/**
 * The JSON parser of `POST /v1/fan-outs` alone, sized for `maxRecipients` ids of the longest kind
 * (131 MB for a million), and reading only what the app's parser would (a valid API key first).
 * Registered before the app's parser, which then finds the body read and leaves it; every other
 * route keeps the app's smaller limit.
 *
 * @example
 * app.useBodyParser('json', fanOutJobsBodyParserOptions(jobs.maxRecipients));
 */
export function fanOutJobsBodyParserOptions(maxRecipients: number) {
  return {
    limit: jsonBodyLimitBytes(maxRecipients),
    type: (request: IncomingMessage) => createsFanOutJob(request) && readsJsonBodyOf(request),
  };
}
