import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An Express middleware, typed with Node's request and response. An error passed to `next` skips
 * to Nest's exception layer, so the app's error filter answers it like any other.
 */
export type Middleware<Request extends IncomingMessage = IncomingMessage> = (
  request: Request,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;
