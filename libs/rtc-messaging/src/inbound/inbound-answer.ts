import type { FieldViolation } from '../errors';
import type { RtcInboundOutcome } from './rtc-inbound.types';

/** What an inbound route answers, and the outcome it records. */
export interface InboundAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** Absent for an empty body. */
  readonly contentType?: string;
  readonly outcome: RtcInboundOutcome;
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

/** 413: the body is over `maxBytes`; refused before it was read whole. */
export const tooLarge = (maxBytes: number): InboundAnswer =>
  jsonAnswer(413, { message: `the body must be at most ${maxBytes} bytes` }, 'refused');

/** 408: the body did not arrive within the deadline. */
export const incomplete = (): InboundAnswer =>
  jsonAnswer(408, { message: 'the body did not arrive in time' }, 'refused');

/** 400 naming each broken rule of each field. */
export const badRequest = (violations: readonly FieldViolation[]): InboundAnswer =>
  jsonAnswer(400, { message: violations.map((v) => v.message).join('; '), violations }, 'refused');

/** 401 that says only that: nothing about which check failed or what was expected. */
export const unauthorized = (what: 'signature' | 'token'): InboundAnswer =>
  jsonAnswer(401, { message: `invalid ${what}` }, 'refused');

/** 503: the route is mounted but lacks what it needs (a secret, an AppKey). */
export const notConfigured = (message: string): InboundAnswer =>
  jsonAnswer(503, { message }, 'refused');

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
