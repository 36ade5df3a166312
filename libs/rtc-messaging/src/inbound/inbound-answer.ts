import type { FieldViolation } from '../errors';
import type { RtcInboundOutcome } from './rtc-inbound.types';

/** What an inbound route answers, and the outcome it records. */
export interface InboundAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** Absent for an empty body. */
  readonly contentType?: string;
  readonly outcome: RtcInboundOutcome;
  /**
   * Why the delivery was refused, for the log: the check that failed, or each field and rule;
   * from a bounded set, never a value. Absent for a delivery that was not refused.
   */
  readonly reason?: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON answer. */
export const jsonAnswer = (
  status: number,
  body: object,
  outcome: RtcInboundOutcome,
): InboundAnswer => ({
  status,
  body: Buffer.from(JSON.stringify(body), 'utf8'),
  contentType: JSON_TYPE,
  outcome,
});

/** A refusal: a JSON body with `message` (and `extra`), and `reason` for the log. */
export const refusal = (
  status: number,
  message: string,
  reason: string = message,
  extra: object = {},
): InboundAnswer => ({
  ...jsonAnswer(status, { message, ...extra }, 'refused'),
  reason,
});

/** 413: the body is over `maxBytes`; refused before it was read whole. */
export const tooLarge = (maxBytes: number): InboundAnswer =>
  refusal(413, `the body must be at most ${maxBytes} bytes`, 'the body is over the limit');

/** 408: the body did not arrive within the deadline. */
export const incomplete = (): InboundAnswer => refusal(408, 'the body did not arrive in time');

/** 400 naming each broken rule of each field. */
export const badRequest = (violations: readonly FieldViolation[]): InboundAnswer =>
  refusal(
    400,
    violations.map((v) => v.message).join('; '),
    violations.map((v) => `${v.field} (${v.rule})`).join(', '),
    { violations },
  );

/** 401 that says only that: nothing about which check failed or what was expected. */
export const unauthorized = (what: 'signature' | 'token'): InboundAnswer =>
  refusal(401, `invalid ${what}`);

/** 503: the route is mounted but lacks what it needs (a secret, an AppKey). */
export const notConfigured = (message: string): InboundAnswer => refusal(503, message);

/** 500 without details (they are logged, without secrets or message contents). */
export const failed = (): InboundAnswer =>
  jsonAnswer(500, { message: 'the delivery could not be handled; retry later' }, 'failed');

/** 503: the answer could not wait longer for the handler, which goes on running. */
export const timedOut = (): InboundAnswer =>
  jsonAnswer(503, { message: 'still being handled; retry later' }, 'timed_out');

/** The body as a JSON object, or the violation saying why it is not one. */
export function parseJsonObject(
  bytes: Buffer,
): { readonly value: Record<string, unknown> } | { readonly violation: FieldViolation } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return {
      violation: { field: '(body)', rule: 'isJson', message: 'the body must be a JSON document' },
    };
  }
  return asObject(value);
}

/** `value` as a JSON object, or the violation saying it is not one. */
export function asObject(
  value: unknown,
): { readonly value: Record<string, unknown> } | { readonly violation: FieldViolation } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      violation: { field: '(body)', rule: 'isObject', message: 'the body must be a JSON object' },
    };
  }
  return { value: value as Record<string, unknown> };
}
