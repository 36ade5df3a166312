import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What became of one POST: the answer, or why there was none, and when. */
export interface InboundPostResult {
  /** The HTTP status; absent when no complete answer came (see `failure`). */
  readonly status?: number;
  /** The answer's body as received (empty without an answer). */
  readonly body: Buffer;
  /** The answer's headers (empty without an answer). */
  readonly headers: IncomingHttpHeaders;
  /**
   * Why there is no answer: `timeout` (none complete within the time limit, as RTC counts it) or
   * `network` (the connection failed or was closed).
   */
  readonly failure?: 'timeout' | 'network';
  /** The network error's message, with `failure: 'network'`. */
  readonly error?: string;
  /** When the request was sent, in epoch milliseconds. */
  readonly startedAt: number;
  /** From sending the request to the end of the answer (or to the failure), in milliseconds. */
  readonly durationMs: number;
}

/** How {@link postInbound} sends. */
export interface InboundPostOptions {
  /** Extra request headers; `content-length` is always set from the body. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How long the whole answer may take, from sending, in milliseconds. */
  readonly timeoutMs: number;
  /** The `node:http` agent; default a fresh connection per request (no pooling between runs). */
  readonly agent?: Agent;
}

/**
 * One POST of `body` to `url`, with exactly the headers given (Node adds no `Content-Type`, as
 * RTC sends none), answered or not within `timeoutMs`. Never throws for what the server does: a
 * refused connection, a reset or a silence is a result, because the kit reports what RTC would
 * have seen.
 */
export function postInbound(
  url: string,
  body: Buffer,
  options: InboundPostOptions,
): Promise<InboundPostResult> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const startedAt = Date.now();
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<InboundPostResult, 'startedAt' | 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, startedAt, durationMs: elapsed() });
    };
    const req = send(
      target,
      {
        method: 'POST',
        agent: options.agent ?? false,
        headers: { ...options.headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () =>
          finish({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers }),
        );
        res.once('error', (error) =>
          finish({ failure: 'network', error: error.message, body: Buffer.alloc(0), headers: {} }),
        );
      },
    );
    // The limit runs from the moment the request leaves, as RTC's 5 seconds do.
    const timer = setTimeout(() => {
      finish({ failure: 'timeout', body: Buffer.alloc(0), headers: {} });
      req.destroy();
    }, options.timeoutMs);
    req.once('error', (error) =>
      finish({ failure: 'network', error: error.message, body: Buffer.alloc(0), headers: {} }),
    );
    req.end(body);
  });
}
