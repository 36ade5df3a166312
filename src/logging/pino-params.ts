import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
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
 * pino-pretty's options: a request in one short line (method, path, status, time, id) rather than
 * every header; other lines as they are, their fields on the same line.
 */
const PRETTY_OPTIONS = {
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,req,res,responseTime,reqId',
  messageFormat:
    '{if req}{req.method} {req.url} → {res.statusCode} in {responseTime} ms [{reqId}] {end}{if context}[{context}] {end}{msg}',
};

/**
 * The app's pino logger: JSON lines, or pino-pretty's with `LOG_FORMAT=pretty`, secrets redacted.
 * @param destination where the lines go; default stdout (a test passes a stream it reads)
 */
export function createAppLogger(config: LoggingConfig, destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (config.format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } });
  }
  return pino(options);
}

/**
 * The request logger: one line per request, with its id (`reqId`), when the response is sent.
 * `createApp` mounts it first, so that requests refused before Nest's routes (a missing API
 * key, a body too large) are logged and answered with their id too.
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestIdOf,
    autoLogging: { ignore: isProbeOrScrape },
    // The request is logged once, with the response line; not again on every line it causes.
    quietReqLogger: true,
    // Without this, a 5xx line carries an `err` with a stack, one pino-http makes up ("failed
    // with status code 503") when nothing was thrown: nine lines in pretty format that say only
    // where pino-http is. The status is in `res`; the error filter logs what failed, in a line.
    customErrorObject: (_request, _response, _error, fields: Record<string, unknown>) => {
      const { err: _err, ...rest } = fields;
      return rest;
    },
  });
}

/**
 * `nestjs-pino`'s parameters: Nest's and the library's log calls go to `logger`, and within a
 * request to the request's child logger that `requestLogger` made (`useExisting`), so they carry
 * its `reqId`.
 */
export function pinoParams(logger: Logger): Params {
  return { pinoHttp: { logger }, useExisting: true };
}
