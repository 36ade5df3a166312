import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * How the module retries a call that failed without delivering the message.
 * (class-validator runs the lowest decorator first, so each type check sits at the bottom.)
 */
export class RetryOptions {
  /** Most attempts of one call, the first included; `1` turns retrying off. Default 3. */
  @IsOptional()
  @Max(10)
  @Min(1)
  @IsInt()
  maxAttempts?: number;

  /** First backoff ceiling, in ms; it doubles per attempt (full jitter below it). Default 100. */
  @IsOptional()
  @Min(0)
  @IsInt()
  baseDelayMs?: number;

  /** Largest wait between two attempts, in ms. Default 2,000. */
  @IsOptional()
  @Min(0)
  @IsInt()
  maxDelayMs?: number;

  /** Total time one call may take, attempts and waits included, in ms. Default 10,000. */
  @IsOptional()
  @Min(1)
  @IsInt()
  maxElapsedMs?: number;

  /**
   * Also retry failures that may have delivered the message (HTTP 500/504, a timeout or a reset
   * after the request was written). SendUnicast has no idempotency key, so this is at-least-once:
   * the user may get a message twice. Default `false`: such failures raise
   * `RtcUnknownOutcomeError` at once.
   */
  @IsOptional()
  @IsBoolean()
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
