import { RtcError } from './rtc-error';

/** One broken rule of one field. */
export interface FieldViolation {
  /** The field as the caller named it, e.g. `message` or `to[3]`. */
  readonly field: string;
  /** The rule's name, e.g. `maxBytes`, `idPattern`, `isBoolean`. */
  readonly rule: string;
  /** A sentence naming the field, the rule and, for sizes, the measured size. */
  readonly message: string;
}

/** The input broke one or more rules; nothing was sent. */
export class RtcValidationError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(readonly violations: readonly FieldViolation[]) {
    super(`Invalid input: ${violations.map((v) => v.message).join('; ')}`);
  }
}
