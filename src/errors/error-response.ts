import { HttpException, HttpStatus } from '@nestjs/common';
import {
  DeliveryOutcome,
  FieldViolation,
  RtcBudgetUnavailableError,
  RtcConfigurationError,
  RtcError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
  TransportFailure,
  UnknownOutcomeReason,
  UpstreamErrorDetails,
} from 'nestjs-volcengine-rtc';
import type { RequestKind } from './sending-routes';

/**
 * The one shape of every error body the app sends: always `statusCode`, `error` and `message`;
 * `outcome` on every error of a request that asks to send a message, and on no other. A failed
 * readiness check keeps terminus's report besides.
 */
export interface ErrorBody {
  readonly statusCode: number;
  /** The status's reason phrase, e.g. `Bad Gateway`. */
  readonly error: string;
  readonly message: string;
  /** Each broken rule of the input (400). */
  readonly violations?: readonly FieldViolation[];
  /**
   * Whether the message may have been delivered anyway: `unknown` means a retry may send it twice;
   * `not_delivered` means it surely was not. Only on requests that ask to send a message.
   */
  readonly outcome?: DeliveryOutcome;
  /**
   * Why the upstream could not be used (`connect`, `timeout`, `reset`, `bad_response`,
   * `upstream_error`), or `budget_unavailable` when the call budget's store could not be asked.
   */
  readonly failure?: Failure;
  /** What the upstream answered (502, and 429 when it throttled the call). */
  readonly upstreamStatus?: number;
  readonly code?: string;
  readonly codeN?: number;
  readonly requestId?: string;
  /** The same as the `Retry-After` header (429). */
  readonly retryAfterSeconds?: number;
  /** Anything else an `HttpException` carried in its object body. */
  readonly [extra: string]: unknown;
}

/** What `failure` may say. */
export type Failure = TransportFailure | UnknownOutcomeReason | 'budget_unavailable';

/** What to answer for an error: status, extra headers and body. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
}

/** Errors of Express's body parser (`http-errors` instances): `type` says which. */
interface BodyParserError {
  readonly type: string;
  readonly status: number;
  /** The parser's limit, in bytes, on `entity.too.large` (routes have different ones). */
  readonly limit?: number;
}

const REASONS: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(HttpStatus)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, status]) => [
      status,
      name
        .toLowerCase()
        .split('_')
        .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
        .join(' '),
    ]),
);

const reasonOf = (status: number): string => REASONS[status] ?? 'Error';

function body(
  status: number,
  message: string,
  extra: Omit<ErrorBody, 'statusCode' | 'error' | 'message'> = {},
): ErrorBody {
  return { statusCode: status, error: reasonOf(status), message, ...extra };
}

/** Upstream facts worth quoting to a caller; `upstreamMessage` is in the error's message already. */
function upstreamFields(details: UpstreamErrorDetails | undefined) {
  return details === undefined
    ? {}
    : {
        upstreamStatus: details.status,
        code: details.code,
        codeN: details.codeN,
        requestId: details.requestId,
      };
}

/**
 * Why the upstream could not be used, in words for the caller. The library's own messages name
 * the endpoint's address, which callers of this API need not know (they are logged instead).
 */
const NOT_DELIVERED_MESSAGES: Readonly<Record<TransportFailure, string>> = {
  connect: 'the RTC OpenAPI could not be reached; the message was not sent',
  timeout: 'no connection to the RTC OpenAPI could be made in time; the message was not sent',
  bad_response:
    'the RTC OpenAPI (or a proxy before it) refused the call with an answer that could not be read; the message was not delivered',
};

const MAY_HAVE_DELIVERED =
  'the message may have been delivered, and sending it again may deliver it twice';

const UNKNOWN_OUTCOME_MESSAGES: Readonly<Record<UnknownOutcomeReason, string>> = {
  timeout: `the RTC OpenAPI did not answer in time; ${MAY_HAVE_DELIVERED}`,
  reset: `the connection to the RTC OpenAPI broke before it answered; ${MAY_HAVE_DELIVERED}`,
  bad_response: `the RTC OpenAPI sent an answer that could not be read; ${MAY_HAVE_DELIVERED}`,
  upstream_error: `the RTC OpenAPI failed while handling the message; ${MAY_HAVE_DELIVERED}`,
};

/**
 * The status of a failure to use the upstream. The status alone must not mislead a client that
 * reads no body: 503 says "unavailable, nothing happened, try again later", so it is kept for
 * calls that surely did not deliver (no connection, an unreadable refusal). A call that may have
 * delivered answers 502 (the upstream's answer, or the connection, broke) or 504 (no answer in
 * time), never 503; the body's `outcome` says which it was either way.
 */
function statusOfFailure(
  outcome: DeliveryOutcome,
  failure: TransportFailure | UnknownOutcomeReason,
): 502 | 503 | 504 {
  if (failure === 'timeout') return 504;
  return outcome === 'unknown' ? 502 : 503;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as Partial<BodyParserError>).type === 'string' &&
    typeof (error as Partial<BodyParserError>).status === 'number'
  );
}

function fromRtcError(error: RtcError): ErrorResponse {
  const { outcome } = error;
  if (error instanceof RtcValidationError) {
    return {
      status: 400,
      headers: {},
      body: body(400, error.message, { violations: error.violations, outcome }),
    };
  }
  if (error instanceof RtcRateLimitedError) {
    // Whole seconds, rounded up: retrying at the rounded-down second would come too early.
    const retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return {
      status: 429,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      body: body(429, error.message, {
        outcome,
        retryAfterSeconds,
        ...upstreamFields(error.upstream),
      }),
    };
  }
  if (error instanceof RtcUpstreamError) {
    return {
      status: 502,
      headers: {},
      body: body(502, error.message, { outcome, ...upstreamFields(error) }),
    };
  }
  if (error instanceof RtcTransportError || error instanceof RtcUnknownOutcomeError) {
    const failure = error instanceof RtcTransportError ? error.failure : error.reason;
    const status = statusOfFailure(outcome, failure);
    const upstream = error instanceof RtcUnknownOutcomeError ? error.upstream : undefined;
    return {
      status,
      headers: {},
      body: body(
        status,
        error instanceof RtcTransportError
          ? NOT_DELIVERED_MESSAGES[error.failure]
          : UNKNOWN_OUTCOME_MESSAGES[error.reason],
        { outcome, failure, ...upstreamFields(upstream) },
      ),
    };
  }
  if (error instanceof RtcBudgetUnavailableError) {
    // Its message names the store's host; callers need only know that nothing was sent.
    return {
      status: 503,
      headers: {},
      body: body(
        503,
        'the call budget could not be checked (its shared store, Redis, is unavailable), so the message was not sent; try again later',
        { outcome, failure: 'budget_unavailable' },
      ),
    };
  }
  if (error instanceof RtcConfigurationError) {
    return {
      status: 500,
      headers: {},
      body: body(500, 'the RTC client is misconfigured', { outcome }),
    };
  }
  // Any other library error: a temporary refusal, unless it may have delivered (never a 503).
  const status = outcome === 'unknown' ? 502 : 503;
  return { status, headers: {}, body: body(status, error.message, { outcome }) };
}

function fromHttpException(exception: HttpException): ErrorResponse {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return { status, headers: {}, body: body(status, response) };
  }
  // Nest's own exceptions already carry `{ statusCode, error, message }`; other object bodies
  // (terminus's health report) keep their fields, under the same status code.
  const fields = response as Record<string, unknown>;
  const message = Array.isArray(fields.message) ? fields.message.join('; ') : fields.message;
  // A 429 of the app's own (too many job creations) says when to come back, as the budget's does.
  const retryAfter: Record<string, string> =
    status === 429 && typeof fields.retryAfterSeconds === 'number'
      ? { 'Retry-After': String(fields.retryAfterSeconds) }
      : {};
  return {
    status,
    headers: retryAfter,
    body: {
      ...fields,
      statusCode: status,
      error: typeof fields.error === 'string' ? fields.error : (fields.error ?? reasonOf(status)),
      message: typeof message === 'string' ? message : reasonOf(status),
    } as ErrorBody,
  };
}

function fromBodyParserError(error: BodyParserError, maxBodyBytes: number): ErrorResponse {
  if (error.type === 'entity.too.large') {
    return {
      status: 413,
      headers: {},
      body: body(
        413,
        `the request body is larger than ${(error.limit ?? maxBodyBytes).toLocaleString('en-US')} bytes`,
      ),
    };
  }
  if (error.type === 'entity.parse.failed') {
    // The parser's own message quotes the body; the caller has it already.
    return {
      status: 400,
      headers: {},
      body: body(400, 'the request body is not valid JSON', {
        violations: [
          { field: '(body)', rule: 'json', message: 'the request body is not valid JSON' },
        ],
      }),
    };
  }
  const status = error.status >= 400 && error.status < 500 ? error.status : 400;
  return { status, headers: {}, body: body(status, reasonOf(status)) };
}

function withoutOutcome(response: ErrorResponse): ErrorResponse {
  const { outcome: _outcome, ...rest } = response.body;
  return { ...response, body: rest };
}

/**
 * `response` as a request that asked to send a message answers it: with the library error's
 * `outcome`, or for a refusal of the app's own (401, 403, 413, a 400 of the parser, a 503 of a
 * guard) `not_delivered`, since nothing was sent yet. An unexpected error (500) may come after
 * the call, so it says `unknown`.
 */
function withOutcome(response: ErrorResponse): ErrorResponse {
  if (response.body.outcome !== undefined) return response;
  const outcome: DeliveryOutcome = response.status === 500 ? 'unknown' : 'not_delivered';
  return { ...response, body: { ...response.body, outcome } };
}

function mapException(exception: unknown, maxBodyBytes: number): ErrorResponse {
  if (exception instanceof RtcError) return fromRtcError(exception);
  // Nest's Express adapter wraps the body parser's errors in an HttpException.
  const cause = exception instanceof HttpException ? exception.cause : exception;
  if (isBodyParserError(cause)) return fromBodyParserError(cause, maxBodyBytes);
  if (exception instanceof HttpException) return fromHttpException(exception);
  return { status: 500, headers: {}, body: body(500, 'internal server error') };
}

/**
 * What to answer for anything a request handler threw. Library errors map to the statuses the
 * README lists; their messages are safe to show (the library puts no secret in them).
 * @param kind whether the request asked to send a message (`requestKindOf`): only then does the
 *   body say `outcome`. Default `send`, as for the messaging endpoints' documented examples.
 */
export function toErrorResponse(
  exception: unknown,
  maxBodyBytes: number,
  kind: RequestKind = 'send',
): ErrorResponse {
  const response = mapException(exception, maxBodyBytes);
  return kind === 'send' ? withOutcome(response) : withoutOutcome(response);
}
