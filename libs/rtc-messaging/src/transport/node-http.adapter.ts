import {
  Agent as HttpAgent,
  ClientRequest,
  IncomingMessage,
  request as httpRequest,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';
import { nestAxios } from './nest-axios';

/** From the app's one axios copy (see nest-axios.ts), so `instanceof` checks agree everywhere. */
const { AxiosError } = nestAxios;

/** Largest answer read; an OpenAPI envelope is a few hundred bytes. */
export const MAX_RESPONSE_BYTES = 1_048_576;

/**
 * A lean axios adapter over `node:http(s)` and the module's keep-alive agents.
 *
 * Why not axios's own adapter: it supports proxies, redirects, decompression, streams and progress
 * events on every call, and that generality cost more client CPU per SendUnicast than signing and
 * validation together (profiled in bench/README.md). The RTC OpenAPI needs none of it: a small JSON
 * POST and a small JSON answer. Requests still go through the module's axios instance, so its
 * config, interceptors and error type are unchanged.
 *
 * The timeout covers the whole call (connect, send, answer), and failures carry the
 * `ClientRequest`, whose `writableFinished` tells whether the request was fully sent.
 */
export function createNodeHttpAdapter(agents: {
  readonly http: HttpAgent;
  readonly https: HttpAgent;
}): AxiosAdapter {
  const targets = new TargetCache();
  return (config: InternalAxiosRequestConfig) =>
    new Promise((resolve, reject) => {
      const target = targets.resolve(config.url, config.baseURL);
      const body = config.data as Buffer | undefined;
      const headers = config.headers.toJSON(true);
      if (body) headers['Content-Length'] = String(body.length);

      const request: ClientRequest = (target.secure ? httpsRequest : httpRequest)({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: (config.method ?? 'get').toUpperCase(),
        headers,
        agent: target.secure ? agents.https : agents.http,
      });
      const timer = config.timeout
        ? setTimeout(() => {
            const error = new AxiosError(
              `timeout of ${config.timeout}ms exceeded`,
              AxiosError.ECONNABORTED,
              config,
              request,
            );
            request.destroy(error);
          }, config.timeout)
        : undefined;
      const fail = (error: Error & { code?: string }) => {
        clearTimeout(timer);
        // The first failure wins; a promise settles once, so later ones are ignored.
        reject(
          error instanceof AxiosError ? error : AxiosError.from(error, error.code, config, request),
        );
      };

      request.on('error', fail);
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy(
              new AxiosError('answer too large', AxiosError.ERR_BAD_RESPONSE, config, request),
            );
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({
            data: Buffer.concat(chunks, size).toString('utf8'),
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? '',
            // Only what the module reads: axios normalizes every header it is given, which cost
            // more per call than signing (profiled in bench/README.md).
            headers: pickHeaders(response.headers),
            config,
            request,
          });
        });
        // A connection lost mid-answer (reset, aborted).
        response.on('error', fail);
      });
      request.end(body);
    });
}

/** Where a request goes, as `node:http` takes it. */
interface Target {
  readonly secure: boolean;
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
}

/**
 * Parsed request targets by base URL and URL. The module calls a handful of fixed URLs (one per
 * action, and the probe), and parsing one costs more per call than signing's HMACs; the bound
 * only guards against a caller sending to ever-new URLs through the same instance.
 */
class TargetCache {
  private static readonly MAX_ENTRIES = 64;
  private readonly entries = new Map<string, Target>();

  resolve(url = '/', baseURL?: string): Target {
    const key = `${baseURL ?? ''} ${url}`;
    let target = this.entries.get(key);
    if (!target) {
      const parsed = new URL(url, baseURL);
      target = {
        secure: parsed.protocol === 'https:',
        protocol: parsed.protocol,
        hostname: parsed.hostname,
        port: parsed.port,
        path: parsed.pathname + parsed.search,
      };
      if (this.entries.size >= TargetCache.MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, target);
    }
    return target;
  }
}

/** Response headers the module reads. */
const READ_HEADERS = ['retry-after', 'content-type'] as const;

function pickHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of READ_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}
