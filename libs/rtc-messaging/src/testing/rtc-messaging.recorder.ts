import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  GATEWAY_ERRORS,
  RtcClockSkewError,
  RtcRateLimitedError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  UpstreamErrorDetails,
} from '../errors';
import { describeUpstream } from '../errors/rtc-upstream.error';
import type { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { MessagingAction } from '../rtc-openapi.constants';
import type { MessagingResult, OpenApiSuccess } from '../transport';
import { mayHaveAccepted } from '../transport/outcome';

/** One call the recorder accepted in place of the RTC OpenAPI. */
export interface RecordedCall {
  /** The OpenAPI action, e.g. `SendUnicast`. */
  readonly action: MessagingAction;
  /**
   * The JSON body the upstream would have received, after validation and defaults, e.g.
   * `{ AppId, From, To, Binary, Message }` for `SendUnicast`.
   */
  readonly body: Readonly<Record<string, unknown>>;
  /** A fake `ResponseMetadata.RequestId`, also returned to the caller as `requestId`. */
  readonly requestId: string;
  /** When the call was recorded. */
  readonly at: Date;
}

/**
 * What {@link RtcMessagingRecorder.failNext} makes a call fail with: an error to throw as it is,
 * or an upstream error `Code` (e.g. `'InvalidParameter.IllegalTo'`), which becomes the error class
 * the real client raises for that answer.
 */
export type RecordedFailure = Error | string;

/** Retry-After of a throttled answer without one, as the real client assumes. */
const DEFAULT_THROTTLE_RETRY_MS = 1_000;

/**
 * The error the real client raises when the upstream answers `code`, with the gateway's status and
 * CodeN for gateway codes (400 for service codes, 429 for `FlowLimitExceeded*`). It follows
 * `RtcOpenApiClient`'s mapping; a spec checks both agree against the emulator.
 */
function upstreamFailure(code: string, requestId: string): Error {
  const known = Object.hasOwn(GATEWAY_ERRORS, code)
    ? GATEWAY_ERRORS[code as keyof typeof GATEWAY_ERRORS]
    : undefined;
  const throttled = code.startsWith('FlowLimitExceeded');
  const details: UpstreamErrorDetails = {
    status: known?.status ?? (throttled ? 429 : 400),
    code,
    codeN: known?.codeN,
    requestId,
    upstreamMessage: 'failure injected by RtcMessagingRecorder.failNext',
  };
  if (details.status === 429 || throttled) {
    return new RtcRateLimitedError(DEFAULT_THROTTLE_RETRY_MS, details);
  }
  if (code === 'InvalidTimestamp') return new RtcClockSkewError(details);
  if (mayHaveAccepted(details.status, code)) {
    return new RtcUnknownOutcomeError('upstream_error', describeUpstream(details), details);
  }
  return new RtcUpstreamError(details);
}

/** `YYYYMMDDHHMMSS` (UTC) and 24 upper-case hex digits, the shape of the gateway's ids. */
function fakeRequestId(at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/\D/g, '');
  return stamp + randomUUID().replace(/-/g, '').slice(0, 24).toUpperCase();
}

/**
 * The in-memory stand-in for the RTC OpenAPI that `RtcMessagingTestingModule` puts behind every
 * messaging service. Services still validate their input as in production (a 70 KB message is
 * still refused with `RtcValidationError`); what passes is recorded here instead of being sent.
 * Nothing goes over the network, and there is no rate limit and no retry.
 *
 * @example
 * const recorder = moduleRef.get(RtcMessagingRecorder);
 * await notifier.orderShipped('user_42');
 * expect(recorder.sentTo('user_42')).toHaveLength(1);
 * expect(recorder.last()?.body).toMatchObject({ To: 'user_42', Message: 'Your order has shipped' });
 *
 * recorder.failNext('InvalidParameter.IllegalTo'); // the next call rejects with RtcUpstreamError
 */
@Injectable()
export class RtcMessagingRecorder implements Pick<RtcDispatcher, 'dispatch'> {
  private readonly calls: RecordedCall[] = [];
  private readonly failures: { failure: RecordedFailure; remaining: number }[] = [];

  /** Every call recorded since the last {@link clear}, oldest first. Failed calls are not in it. */
  get sent(): readonly RecordedCall[] {
    return this.calls;
  }

  /** The recorded calls whose `To` is `userId` (or, for a batch, includes it). */
  sentTo(userId: string): RecordedCall[] {
    return this.calls.filter(({ body: { To } }) =>
      Array.isArray(To) ? To.includes(userId) : To === userId,
    );
  }

  /** The latest recorded call, if any. */
  last(): RecordedCall | undefined {
    return this.calls.at(-1);
  }

  /** Forgets the recorded calls and any failure still queued by {@link failNext}. */
  clear(): void {
    this.calls.length = 0;
    this.failures.length = 0;
  }

  /**
   * Makes the next `times` calls (default 1) that pass validation fail, in the order queued: with
   * `failure` itself when it is an `Error`, or with the error the real client raises when the
   * upstream answers that `Code`:
   * - `'InvalidParameter.IllegalTo'` and other service codes: `RtcUpstreamError` (HTTP 400);
   * - gateway codes such as `'SignatureDoesNotMatch'`: `RtcUpstreamError` with the gateway's status
   *   and `codeN`; `'InternalServiceTimeout'`, `'InternalError'`: `RtcUnknownOutcomeError`;
   * - `'FlowLimitExceeded…'`: `RtcRateLimitedError`; `'InvalidTimestamp'`: `RtcClockSkewError`.
   *
   * @example recorder.failNext(new RtcTransportError('connect', 'ECONNREFUSED'), 2)
   */
  failNext(failure: RecordedFailure, times = 1): void {
    if (!(typeof failure === 'string' ? failure !== '' : failure instanceof Error)) {
      throw new TypeError('failNext: failure must be an Error or a non-empty error code');
    }
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError(`failNext: times must be a positive integer or Infinity, got ${times}`);
    }
    this.failures.push({ failure, remaining: times });
  }

  /**
   * What `RtcDispatcher.dispatch` does under the testing module: answers as the upstream would
   * for an accepted message (`{ Message: 'Success' }`) and records the call, or fails as queued
   * by {@link failNext}. Services call it after validating; tests normally need not.
   */
  async dispatch<TResult = MessagingResult>(
    action: MessagingAction,
    body: { readonly AppId: string } & Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<OpenApiSuccess<TResult>> {
    signal?.throwIfAborted();
    const at = new Date();
    const requestId = fakeRequestId(at);
    const queued = this.failures[0];
    if (queued !== undefined) {
      if (--queued.remaining <= 0) this.failures.shift();
      throw typeof queued.failure === 'string'
        ? upstreamFailure(queued.failure, requestId)
        : queued.failure;
    }
    // A copy, so a caller that reuses its objects cannot rewrite what was recorded.
    this.calls.push({ action, body: structuredClone(body), requestId, at });
    const result: MessagingResult = { Message: 'Success' };
    return { requestId, result: result as TResult };
  }
}
