import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { InboundMiddleware } from './rtc-inbound.routes';

/** The path of a request's URL, without its query and one trailing slash. */
function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0];
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Serves `routes` (POST only, path exactly as given) at `server` itself, ahead of the listener the
 * framework attached (Express, Fastify): the app's middleware, body parsers and router never see
 * these requests, and every other request reaches them as before. Returns how to undo it.
 */
export function serveAheadOfApp(
  server: Server,
  routes: ReadonlyMap<string, InboundMiddleware>,
): () => void {
  const byPath = new Map([...routes].map(([path, route]) => [pathOf(path), route]));
  const appListeners = server.listeners('request') as Array<
    (request: IncomingMessage, response: ServerResponse) => void
  >;
  const dispatch = (request: IncomingMessage, response: ServerResponse) => {
    const route = request.method === 'POST' ? byPath.get(pathOf(request.url)) : undefined;
    if (route) {
      route(request, response, (error?: unknown) => {
        // The routes never pass a request on; a failure to answer is the last resort here.
        if (!response.headersSent) {
          response.statusCode = 500;
          response.end();
        }
        void error;
      });
      return;
    }
    for (const listener of appListeners) listener.call(server, request, response);
  };
  server.removeAllListeners('request');
  server.on('request', dispatch);
  return () => {
    server.off('request', dispatch);
    for (const listener of appListeners) server.on('request', listener);
  };
}
