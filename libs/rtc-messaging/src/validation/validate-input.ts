import { ClassConstructor, plainToInstance } from 'class-transformer';
import { ValidationError, validateSync, ValidatorOptions } from 'class-validator';
import { FieldViolation, RtcValidationError } from '../errors';

/**
 * The options the module validates with, and that an HTTP edge should use too, so that a caller
 * gets the same answer through a controller as through the service: unknown fields are refused,
 * not dropped, and nothing is coerced.
 */
export const RTC_VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/** Flattens class-validator's tree into one violation per broken rule, e.g. field `to[3]`. */
export function toFieldViolations(
  errors: readonly ValidationError[],
  parent = '',
): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = !parent
      ? error.property
      : /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule: rule === 'whitelistValidation' ? 'unknownField' : rule,
      message: rule === 'whitelistValidation' ? `${field} is not a known field` : message,
    }));
    return [...own, ...toFieldViolations(error.children ?? [], field)];
  });
}

/**
 * Validates `input` against `dto` and returns it as an instance of `dto`.
 * @throws RtcValidationError naming every broken rule; nothing invalid goes further.
 */
export function validateInput<T extends object>(dto: ClassConstructor<T>, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RtcValidationError([
      { field: '(body)', rule: 'isObject', message: 'the message must be an object' },
    ]);
  }
  const instance = input instanceof dto ? input : plainToInstance(dto, input);
  const errors = validateSync(instance, RTC_VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new RtcValidationError(toFieldViolations(errors));
  return instance;
}
