/**
 * Whether a message may have been accepted, given a failed answer's HTTP status and the envelope's
 * `Error.Code` (`undefined` when the answer had no envelope, e.g. a load balancer's HTML page).
 * 500 (InternalError) and 504 (InternalServiceTimeout) come after the gateway handed the call to the
 * service, which may have accepted it. A 502 is as ambiguous, since a proxy in front of the gateway
 * may answer it after forwarding the call, unless the gateway's own envelope says `FailToConnect`:
 * it could not reach the service (volcengine-facts §2.3, docs 6448/76370). Every other failure
 * status is a refusal.
 */
export function mayHaveAccepted(status: number, code: string | undefined): boolean {
  if (status === 502) return code !== 'FailToConnect';
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
