import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** The reason a request's signal is aborted with. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('the client closed the connection before the answer was sent');
    this.name = 'ClientDisconnectedError';
  }
}

/**
 * An `AbortSignal` aborted when the client goes away before the answer is sent, so that a long
 * send (a fan-out, a batch) stops instead of running for nobody.
 *
 * It listens on the response, not the request: a request emits `close` as soon as its body has
 * been read, while a response emits it once the exchange ends, and then whether the answer was
 * sent in full says whether the client left early. `close` fires once per response, so the
 * listener goes with it.
 *
 * @example
 * @Post('fan-out')
 * fanOut(@Body() body: SendFanOutRequest, @ClientDisconnectSignal() signal: AbortSignal) {
 *   return this.unicast.sendToMany(body.to, body.message, { signal });
 * }
 */
export const ClientDisconnectSignal = createParamDecorator(
  (_: unknown, context: ExecutionContext): AbortSignal => {
    const response = context.switchToHttp().getResponse<ServerResponse>();
    const controller = new AbortController();
    // Every call of a fan-out or batch in flight listens on it (waiting for budget, for a retry),
    // 32 at a time by default: more than Node's leak warning expects of one signal. Each listener
    // goes when its call settles, and the signal with the request.
    setMaxListeners(0, controller.signal);
    response.once('close', () => {
      if (!response.writableFinished) controller.abort(new ClientDisconnectedError());
    });
    return controller.signal;
  },
);
