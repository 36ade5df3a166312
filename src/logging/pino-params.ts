import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { API_KEY_HEADER } from '../auth/api-key.middleware';
import { HEALTH_PATH } from '../health/health.constants';
import { METRICS_PATH } from '../telemetry/telemetry.constants';
import type { LoggingConfig } from './logging.config';

/** The header a request id arrives in (from a proxy or the caller) and is echoed in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A caller's request id is taken only in this shape: anything else (a newline, a 10 KB value)
 * would let a caller write into the log lines; a fresh UUID replaces it.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * What is never logged, as pino paths: the API key, credentials of any HTTP auth scheme, cookies.
 * The app logs no config and the library's messages carry no secret; these are the request's.
 */
export const REDACTED_PATHS = [
  `req.headers["${API_KEY_HEADER}"]`,
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** The request's id: the caller's `x-request-id` when well formed, else a new one; echoed back. */
export function requestIdOf(request: IncomingMessage, response: ServerResponse): string {
  const given = request.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** Probes and scrapes come every few seconds and say nothing new (terminus logs a failed check). */
const isProbeOrScrape = (request: IncomingMessage): boolean => {
  const path = (request.url ?? '/').split('?', 1)[0];
  return path === METRICS_PATH || path.startsWith(`/${HEALTH_PATH}/`);
};

/**
 * `nestjs-pino`'s parameters: one JSON line per request (with its id, as `reqId`) and per Nest
 * log call, or pino-pretty's lines with `LOG_FORMAT=pretty`.
 * @param destination where the lines go; default stdout (a test passes a stream it reads)
 */
export function pinoParams(config: LoggingConfig, destination?: DestinationStream): Params {
  const options = {
    level: config.level,
    genReqId: requestIdOf,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    autoLogging: { ignore: isProbeOrScrape },
    // The request is logged once, with the response line; not again on every line it causes.
    quietReqLogger: true,
    transport:
      config.format === 'pretty' && destination === undefined
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
        : undefined,
  };
  return { pinoHttp: destination === undefined ? options : [options, destination] };
}
