/** What `orDeadline` gives when the deadline came first, unless told otherwise. */
export const TIMED_OUT = Symbol('timed out');

/**
 * `promise`, or `timedOut` (`TIMED_OUT` by default) once `ms` passed (at once when none is left);
 * the timer never outlives the race, and `promise` goes on regardless. One promise and one
 * reaction, not a `Promise.race` with a `finally`: this runs once per delivery, and where an app
 * keeps async context (nestjs-pino, OpenTelemetry) every promise costs a hook call.
 */
export function orDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT>;
export function orDeadline<T, U>(promise: Promise<T>, ms: number, timedOut: U): Promise<T | U>;
export function orDeadline<T, U>(
  promise: Promise<T>,
  ms: number,
  timedOut: U | typeof TIMED_OUT = TIMED_OUT,
): Promise<T | U | typeof TIMED_OUT> {
  if (!(ms > 0)) return Promise.resolve(timedOut);
  return new Promise<T | U | typeof TIMED_OUT>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, timedOut);
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
