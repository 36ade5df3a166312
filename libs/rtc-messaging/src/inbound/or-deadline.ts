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
