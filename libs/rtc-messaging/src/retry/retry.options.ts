/** How the module retries a call that failed without delivering the message. */
export interface RetryOptions {
  /** Most attempts of one call, the first included; `1` turns retrying off. Default 3. */
  maxAttempts?: number;
  /** First backoff ceiling, in ms; it doubles per attempt (full jitter below it). Default 100. */
  baseDelayMs?: number;
  /** Largest wait between two attempts, in ms. Default 2,000. */
  maxDelayMs?: number;
  /** Total time one call may spend, attempts and waits included, in ms. Default 10,000. */
  maxElapsedMs?: number;
  /**
   * Also retry failures that may have delivered the message (HTTP 500/504, a timeout or a reset
   * after the request was written). SendUnicast has no idempotency key, so this is at-least-once:
   * the user may get a message twice. Default `false`: such failures raise
   * `RtcUnknownOutcomeError` instead.
   */
  unknownOutcome?: boolean;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxElapsedMs: 10_000,
  unknownOutcome: false,
};
