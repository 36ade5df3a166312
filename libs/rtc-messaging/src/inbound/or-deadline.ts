/** What `orDeadline` gives when the deadline came first. */
export const TIMED_OUT = Symbol('timed out');

/**
 * `promise`, or `TIMED_OUT` once `ms` passed (at once when none is left); the timer never
 * outlives the race, and `promise` goes on regardless. One promise and one reaction, not a
 * `Promise.race` with a `finally`: this runs once per delivery, and where an app keeps async
 * context (nestjs-pino, OpenTelemetry) every promise costs a hook call.
 */
export function orDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(ms > 0)) return Promise.resolve(TIMED_OUT);
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, TIMED_OUT);
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
