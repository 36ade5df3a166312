/**
 * `promise`, or a rejection naming `what` once `ms` have passed. After an event-loop stall the
 * timer fires in the same turn as a reply that already arrived; `setImmediate` lets that reply
 * be read first, so a stall is not a timeout (as `RedisRateLimitStore` does).
 */
export function withTimeLimit<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => setImmediate(() => reject(new Error(`${what} did not answer within ${ms} ms`))),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** What `orDeadline` gives when the deadline came first. */
export const TIMED_OUT = Symbol('timed out');

/**
 * `promise`, or `TIMED_OUT` once `ms` passed (at once when none is left); the timer never
 * outlives the race, and `promise` goes on regardless.
 */
export function orDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(ms > 0)) return Promise.resolve(TIMED_OUT);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
