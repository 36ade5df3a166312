import type { IncomingMessage } from 'node:http';

/** A request as the inbound routes see it: maybe parsed already by the app's body parser. */
export interface InboundRequest extends IncomingMessage {
  /** Set by a body parser that ran before the route (e.g. Nest's default JSON parser). */
  body?: unknown;
  /** Set by Nest's `rawBody: true` option when its parser read the body. */
  rawBody?: Buffer;
}

/** What reading a body gave. */
export type InboundBody =
  /** The bytes, read by the module (or kept by the app's parser as `rawBody`). */
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  /** A value an app's parser made (JSON object, text); its size could not be counted. */
  | { readonly kind: 'parsed'; readonly value: unknown }
  /** Over the limit: refused without reading (by `Content-Length`) or stopped at the limit. */
  | { readonly kind: 'too-large' }
  /** The body did not arrive in time, or the client went away. */
  | { readonly kind: 'incomplete' };

/** Reads a request's body: at most `maxBytes`, within `timeLimitMs`. */
export type InboundBodyReader = (maxBytes: number, timeLimitMs: number) => Promise<InboundBody>;

/** Whether something before the route consumed the body already. */
const consumed = (request: InboundRequest): boolean =>
  request.readableEnded || request.body !== undefined;

/**
 * The body of `request`, at most `maxBytes`, read within `timeLimitMs`. The limit holds before the
 * body is read whole: a `Content-Length` over it is refused at once, and a body streamed without
 * one is dropped the moment it passes the limit. When the app's own parser read the body first,
 * the module can only check what that parser kept: `rawBody` or a `Buffer`/string by its length,
 * a parsed object by the `Content-Length` it came with (see the README on body parsers).
 */
export function readInboundBody(
  request: InboundRequest,
  maxBytes: number,
  timeLimitMs: number,
): Promise<InboundBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ kind: 'too-large' });
  }
  if (consumed(request)) return Promise.resolve(alreadyRead(request, maxBytes));
  return new Promise<InboundBody>((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (body: InboundBody) => {
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        // Stop reading: the rest is never buffered (the answer closes the connection).
        request.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: 'bytes', bytes: Buffer.concat(chunks, received) });
    const onAbort = () => finish({ kind: 'incomplete' });
    const onClose = () => {
      if (!request.readableEnded) onAbort();
    };
    const timer = setTimeout(onAbort, Math.max(0, timeLimitMs));
    request.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose);
  });
}

function alreadyRead(request: InboundRequest, maxBytes: number): InboundBody {
  const { rawBody, body } = request;
  const bytes = Buffer.isBuffer(rawBody)
    ? rawBody
    : Buffer.isBuffer(body)
      ? body
      : typeof body === 'string'
        ? Buffer.from(body, 'utf8')
        : undefined;
  if (bytes) return bytes.length > maxBytes ? { kind: 'too-large' } : { kind: 'bytes', bytes };
  // Read by a parser that kept nothing countable; an object parsed from an empty stream is none.
  return body === undefined
    ? { kind: 'bytes', bytes: Buffer.alloc(0) }
    : { kind: 'parsed', value: body };
}
