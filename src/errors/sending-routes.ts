/**
 * What a request asked for, as far as its error's body is concerned: `send` when it asked to send
 * a message (its errors say the message's `outcome`), `other` when it did not (a token, a job's
 * state, the docs, a path no route serves: there is no delivery to speak of).
 */
export type RequestKind = 'send' | 'other';

/**
 * The routes that send, as Express matches them (case-insensitive, an optional trailing slash):
 * the POSTs of `MessagesController`, `RoomsController` and `FanOutJobsController.create`. Matched
 * on the path rather than the handler because a request refused before routing (401, 413, a body
 * that is not JSON) has no handler, and its body must say `outcome` too.
 */
const SENDING_ROUTES: readonly RegExp[] = [
  /^\/v1\/messages\/(unicast|fan-out)\/?$/i,
  /^\/v1\/rooms\/[^/]+\/messages(\/(unicast|batch))?\/?$/i,
  /^\/v1\/fan-outs\/?$/i,
];

/**
 * Whether `method` and `url` (with or without a query) reach a route that sends a message.
 *
 * @example
 * requestKindOf('POST', '/v1/rooms/lobby/messages') // 'send'
 * requestKindOf('POST', '/v1/tokens/login') // 'other'
 */
export function requestKindOf(method: string | undefined, url: string | undefined): RequestKind {
  const path = (url ?? '/').split('?', 1)[0];
  return method === 'POST' && SENDING_ROUTES.some((route) => route.test(path)) ? 'send' : 'other';
}
