/**
 * Whether a message may have been accepted, given the HTTP status of a failed answer.
 * 500 (InternalError) and 504 (InternalServiceTimeout) come after the gateway handed the call to the
 * service, which may have accepted it; every other failure status is a refusal.
 */
export function mayHaveAccepted(status: number): boolean {
  return status === 500 || status === 504;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
