import type { IncomingMessage } from 'node:http';
import { jsonBodyLimitBytes, MESSAGE_BODY_BYTES } from '../app.constants';
import { presentedValidApiKey } from '../auth/api-key.middleware';
import { readsJsonBodyOf } from '../http/json-body-parser';
import type { Middleware } from '../http/middleware';
import { NDJSON_MEDIA_TYPE, readNdjsonFanOutJob } from './fan-out-job-ndjson.reader';

/** Where fan-out jobs are created: the one route whose body may hold a million ids. */
export const FAN_OUT_JOBS_PATH = '/v1/fan-outs';

/** `POST /v1/fan-outs`, whatever its query string. */
export function createsFanOutJob(request: IncomingMessage): boolean {
  if (request.method !== 'POST') return false;
  const path = (request.url ?? '').split('?', 1)[0].replace(/\/+$/, '');
  return path === FAN_OUT_JOBS_PATH;
}

/**
 * The JSON parser of `POST /v1/fan-outs` alone, sized for `jsonMaxRecipients` ids of the longest
 * kind (1.6 MB for 10,000), and reading only what the app's parser would (a valid API key first).
 * Registered before the app's parser, which then finds the body read and leaves it; every other
 * route keeps the app's smaller limit. Longer lists come as NDJSON ({@link fanOutJobsNdjsonBody}).
 *
 * @example
 * app.useBodyParser('json', fanOutJobsBodyParserOptions(jobs.jsonMaxRecipients));
 */
export function fanOutJobsBodyParserOptions(jsonMaxRecipients: number) {
  return {
    limit: jsonBodyLimitBytes(jsonMaxRecipients),
    type: (request: IncomingMessage) => createsFanOutJob(request) && readsJsonBodyOf(request),
  };
}

/** The longest recipient line read: a quoted id of the longest kind is 130 characters. */
const MAX_RECIPIENT_LINE = 1_024;

/**
 * `POST /v1/fan-outs` with `Content-Type: application/x-ndjson`, from a caller with a valid API key:
 * reads the first line (the job without `to`) and sets the body to it, with `to` the recipients
 * still unread in the request ({@link StreamedRecipients}), which the job's creation pulls line by
 * line and writes to Redis in chunks. So a million ids are never in memory at once, and the
 * event loop is never held by one parse. The route's pipes then validate it as a JSON body.
 *
 * @example
 * app.use(fanOutJobsNdjsonBody);
 */
export const fanOutJobsNdjsonBody: Middleware<IncomingMessage & { body?: unknown }> = (
  request,
  _response,
  next,
) => {
  if (
    !createsFanOutJob(request) ||
    !presentedValidApiKey(request) ||
    !NDJSON_MEDIA_TYPE.test(request.headers['content-type'] ?? '')
  ) {
    next();
    return;
  }
  readNdjsonFanOutJob(request, {
    maxHeaderLength: MESSAGE_BODY_BYTES,
    maxRecipientLength: MAX_RECIPIENT_LINE,
  }).then(({ job, to }) => {
    request.body = { ...job, to };
    next();
  }, next);
};
