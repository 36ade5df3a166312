/**
 * Connection states in which ioredis would park a command in its offline queue until the
 * connection returns; callers that must fail fast (the budget's store, the jobs' API calls)
 * refuse at once instead, so an outage never holds them.
 */
export const REDIS_DOWN_STATES: ReadonlySet<string> = new Set([
  'reconnecting',
  'disconnecting',
  'close',
  'end',
]);

/**
 * `promise`, or a rejection once `timeoutMs` has passed without an answer. It bounds a round trip
 * even on a client configured to wait (ioredis defaults queue commands through 20 reconnections).
 * A command that times out may still land.
 *
 * @example
 * await answeredWithin(redis.get(key), 250, () => new Error('Redis did not answer'));
 */
export function answeredWithin<T>(
  promise: Promise<T>,
  timeoutMs: number,
  timedOut: () => Error = () => new Error(`Redis did not answer within ${timeoutMs} ms`),
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // After an event-loop stall the timer fires in the same turn as the socket's pending reply;
    // setImmediate lets the poll phase read that reply first, so a stall is not a timeout.
    const timer = setTimeout(() => setImmediate(() => reject(timedOut())), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
