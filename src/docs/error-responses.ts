import { applyDecorators, UnauthorizedException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import {
  FieldViolation,
  RtcBudgetUnavailableError,
  RtcClockSkewError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
} from 'nestjs-volcengine-rtc';
import { jsonBodyLimitBytes } from '../app.constants';
import { FROM_NOT_ALLOWED, SenderNotAllowedException } from '../auth/sender-policy.pipe';
import { DEFAULT_FAN_OUT_MAX_RECIPIENTS } from '../config/env.schema';
import { ErrorBody, Failure, toErrorResponse } from '../errors/error-response';
import type { RequestKind } from '../errors/sending-routes';

class FieldViolationResponse implements FieldViolation {
  @ApiProperty({ description: 'The field as sent, e.g. `message` or `to[3]`.', example: 'to' })
  field!: string;

  @ApiProperty({ description: 'The rule it broke.', example: 'rtcId' })
  rule!: string;

  @ApiProperty({
    description: 'A sentence naming the field, the rule and, for sizes, the measured size.',
  })
  message!: string;
}

const FAILURES: readonly Failure[] = [
  'connect',
  'timeout',
  'reset',
  'bad_response',
  'upstream_error',
  'budget_unavailable',
];

/** Every error body, documented; `implements` keeps it in step with what the filter sends. */
export class ErrorBodyResponse implements ErrorBody {
  [extra: string]: unknown;

  @ApiProperty({ example: 502 })
  statusCode!: number;

  @ApiProperty({ description: "The status's reason phrase.", example: 'Bad Gateway' })
  error!: string;

  @ApiProperty({ description: 'What went wrong, in a sentence.' })
  message!: string;

  @ApiPropertyOptional({
    enum: ['not_delivered', 'unknown'],
    description:
      'Only on requests that send a message, on each of their errors: whether the message may have been delivered anyway. `unknown` (only with 500, 502 or 504): it may have been, and sending it again may deliver it twice. `not_delivered`: it surely was not, and sending it again cannot duplicate it.',
  })
  outcome?: 'not_delivered' | 'unknown';

  @ApiPropertyOptional({
    type: [FieldViolationResponse],
    description: 'Each broken rule (400), or each field naming a sender not allowed (403).',
  })
  violations?: FieldViolationResponse[];

  @ApiPropertyOptional({
    enum: FAILURES,
    description: 'Why the RTC OpenAPI, or the call budget, could not be used (502, 503, 504).',
  })
  failure?: Failure;

  @ApiPropertyOptional({ description: 'HTTP status the RTC OpenAPI answered.', example: 401 })
  upstreamStatus?: number;

  @ApiPropertyOptional({ description: "The upstream's `Error.Code`.", example: 'AccessDenied' })
  code?: string;

  @ApiPropertyOptional({ description: "The upstream's `Error.CodeN`.", example: 100013 })
  codeN?: number;

  @ApiPropertyOptional({
    description: "The upstream's RequestId, to quote to Volcengine support.",
  })
  requestId?: string;

  @ApiPropertyOptional({ description: 'The `Retry-After` header, in seconds (429).', example: 2 })
  retryAfterSeconds?: number;
}

const REQUEST_ID = '20261125202214ADF0D6F2B36DA9B083B3F3AA';

/** An example body, made by the filter's own mapping from a sample error, so it cannot drift. */
function example(summary: string, error: unknown): { summary: string; value: ErrorBody } {
  const limit = jsonBodyLimitBytes(DEFAULT_FAN_OUT_MAX_RECIPIENTS);
  return { summary, value: toErrorResponse(error, limit).body };
}

const ID_MESSAGE =
  'to must be a string of 1 to 128 characters from a-z A-Z 0-9 _ @ . - (pattern ^[a-zA-Z0-9_@.-]{1,128}$)';

/** Every error status a messaging endpoint may answer, with what it means and examples. */
const ERROR_RESPONSES = {
  400: {
    description:
      'The request breaks a rule: `violations` names each broken rule of each field. Nothing was sent.',
    examples: {
      fields: example(
        'Two broken fields',
        new RtcValidationError([
          { field: 'to', rule: 'rtcId', message: ID_MESSAGE },
          {
            field: 'message',
            rule: 'maxMessageBytes',
            message: 'message must be at most 65,536 bytes in UTF-8; it is 90,000 bytes',
          },
        ]),
      ),
      unknownField: example(
        'An unknown field',
        new RtcValidationError([
          { field: 'priority', rule: 'unknownField', message: 'priority is not a known field' },
        ]),
      ),
    },
  },
  401: {
    description: 'No `x-api-key` header, or not one of `API_KEYS`. Nothing was read or sent.',
    examples: {
      missingKey: example(
        'No or a wrong API key',
        new UnauthorizedException('a valid x-api-key header is required'),
      ),
    },
  },
  403: {
    description:
      'The body is valid, but `from` or `appId` names a sender this server does not allow: only the defaults (`RTC_FROM`, `RTC_APP_ID`) and those listed in `RTC_ALLOWED_FROM` / `RTC_ALLOWED_APP_IDS`. `violations` names each such field. Nothing was sent.',
    examples: {
      from: example('A sender id not allowed', new SenderNotAllowedException([FROM_NOT_ALLOWED])),
    },
  },
  413: {
    description:
      'The body is larger than the JSON limit (256 KB plus 131 bytes per recipient allowed by `FAN_OUT_MAX_RECIPIENTS`). Nothing was sent.',
    examples: {
      tooLarge: example(
        'A body over the limit (default FAN_OUT_MAX_RECIPIENTS)',
        Object.assign(new Error('request entity too large'), {
          type: 'entity.too.large',
          status: 413,
        }),
      ),
    },
  },
  429: {
    description:
      'Too many calls: the upstream throttled the call, or the call budget (`RTC_RATE_LIMIT_*`) could not take it within `RTC_RATE_LIMIT_MAX_WAIT_MS`. Not delivered; retry after `Retry-After` seconds.',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before trying again (rounded up, at least 1).',
        schema: { type: 'integer', minimum: 1 },
      },
    },
    examples: {
      budget: example('The local call budget', new RtcRateLimitedError(850)),
      upstream: example(
        'The upstream throttled the call',
        new RtcRateLimitedError(1_200, {
          status: 429,
          code: 'FlowLimitExceeded.QPSOverLimit',
          requestId: REQUEST_ID,
        }),
      ),
    },
  },
  502: {
    description:
      'The upstream refused the call (`outcome: not_delivered`, with its `code`), or it failed in a way that may have delivered the message (`outcome: unknown`: HTTP 500, a broken connection, an unreadable answer).',
    examples: {
      refused: example(
        'Refused: wrong credentials',
        new RtcUpstreamError({
          status: 401,
          code: 'SignatureDoesNotMatch',
          codeN: 100010,
          requestId: REQUEST_ID,
          upstreamMessage:
            'The request signature we calculated does not match the signature you provided.',
        }),
      ),
      clockSkew: example(
        "Refused: this machine's clock is off",
        new RtcClockSkewError({
          status: 400,
          code: 'InvalidTimestamp',
          codeN: 100006,
          requestId: REQUEST_ID,
        }),
      ),
      upstreamError: example(
        'May have been delivered: upstream HTTP 500',
        new RtcUnknownOutcomeError('upstream_error', '', {
          status: 500,
          code: 'InternalError',
          codeN: 100014,
          requestId: REQUEST_ID,
        }),
      ),
      reset: example(
        'May have been delivered: the connection broke',
        new RtcUnknownOutcomeError('reset', 'socket hang up'),
      ),
    },
  },
  503: {
    description:
      'Not delivered, and nothing happened upstream: the RTC OpenAPI could not be reached, or the call budget could not be checked (its Redis is down and `RTC_RATE_LIMIT_ON_REDIS_ERROR` is `fail-closed`). Try again later.',
    examples: {
      connect: example(
        'The RTC OpenAPI could not be reached',
        new RtcTransportError('connect', 'ECONNREFUSED'),
      ),
      budget: example(
        'The call budget is unavailable',
        new RtcBudgetUnavailableError('redis take failed'),
      ),
    },
  },
  504: {
    description:
      'No answer in time (`RTC_TIMEOUT_MS`). `outcome: unknown` when the request had been sent (it may have been delivered), `not_delivered` when no connection could be made.',
    examples: {
      noAnswer: example(
        'May have been delivered: no answer in time',
        new RtcUnknownOutcomeError('timeout', 'no answer within 10000 ms'),
      ),
      noConnection: example(
        'Not delivered: no connection in time',
        new RtcTransportError('timeout', 'connect timeout'),
      ),
    },
  },
} as const;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;

/** What a request that sends one message may answer besides 200. */
export const SINGLE_MESSAGE_ERRORS: readonly ErrorStatus[] = [
  400, 401, 403, 413, 429, 502, 503, 504,
];

/**
 * What a list request (fan-out, batch) may answer besides 200: once its input is valid it
 * reports each recipient's or call's fate in the 200 summary instead of failing.
 */
export const RECIPIENT_LIST_ERRORS: readonly ErrorStatus[] = [400, 401, 403, 413];

type Documented = (typeof ERROR_RESPONSES)[ErrorStatus];

/** `documented` as an endpoint that sends nothing answers it: its examples without `outcome`. */
function withoutOutcomes(documented: Documented): Documented {
  if (!('examples' in documented)) return documented;
  const examples = Object.fromEntries(
    Object.entries(documented.examples).map(([name, { summary, value }]) => {
      const { outcome: _outcome, ...rest } = value;
      return [name, { summary, value: rest }];
    }),
  );
  return { ...documented, examples } as Documented;
}

/**
 * Documents the error answers of an endpoint, each with the shape of `ErrorBody` and examples.
 * @param kind `other` for an endpoint that sends no message: its examples carry no `outcome`.
 *
 * @example
 * @ApiErrorResponses(SINGLE_MESSAGE_ERRORS)
 * @ApiErrorResponses([400, 401], 'other')
 */
export function ApiErrorResponses(
  statuses: readonly ErrorStatus[],
  kind: RequestKind = 'send',
): MethodDecorator {
  return applyDecorators(
    ...statuses.map((status) => {
      const documented = ERROR_RESPONSES[status];
      return ApiResponse({
        status,
        type: ErrorBodyResponse,
        ...(kind === 'send' ? documented : withoutOutcomes(documented)),
      });
    }),
  );
}
