import type { IncomingMessage } from 'node:http';
import { presentedValidApiKey } from '../auth/api-key.middleware';

/** `application/json`, with or without parameters: what the JSON parser reads by default. */
const JSON_MEDIA_TYPE = /^\s*application\/json\s*(?:;|$)/i;

/**
 * Whether the JSON parser reads `request`'s body: a JSON body, from a caller that presented a
 * valid API key. A public route (a probe, the docs) takes no body, so an anonymous caller cannot
 * make the app read and parse one there either; the rest of it is discarded unread.
 */
export function readsJsonBodyOf(request: IncomingMessage): boolean {
  return (
    presentedValidApiKey(request) && JSON_MEDIA_TYPE.test(request.headers['content-type'] ?? '')
  );
}

/**
 * The JSON parser's options: at most `limitBytes`, and only the bodies `readsJsonBodyOf` accepts.
 *
 * @example
 * app.useBodyParser('json', jsonBodyParserOptions(server.jsonBodyLimitBytes));
 */
export function jsonBodyParserOptions(limitBytes: number) {
  return { limit: limitBytes, type: readsJsonBodyOf };
}
