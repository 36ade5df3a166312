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

/**
 * A list that is not an array breaks only `isArray`: its other rules (`arrayNotEmpty`, `isString`
 * of each entry) fail because of that alone, and "to should not be empty; to must be an array"
 * would send a caller who passed a string looking for two mistakes.
 */
function onlyTheTypeRule(constraints: Readonly<Record<string, string>>): [string, string][] {
  const entries = Object.entries(constraints);
  return 'isArray' in constraints ? entries.filter(([rule]) => rule === 'isArray') : entries;
}

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
    const own = onlyTheTypeRule(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule: rule === 'whitelistValidation' ? 'unknownField' : rule,
      message: rule === 'whitelistValidation' ? `${field} is not a known field` : message,
    }));
    return [...own, ...toFieldViolations(error.children ?? [], field)];
  });
}

/**
 * How deep input may nest. The deepest valid input (a room batch's `to` array) nests two levels;
 * class-transformer and class-validator recurse into everything they are given, and overflow the
 * stack somewhere past a thousand levels, which would surface as a `RangeError` instead of a
 * violation.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Validates `input` against `dto` and returns it as an instance of `dto`.
 * @throws RtcValidationError naming every broken rule; nothing invalid goes further.
 */
export function validateInput<T extends object>(dto: ClassConstructor<T>, input: unknown): T {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RtcValidationError([
      { field: '(body)', rule: 'isObject', message: 'the input must be an object' },
    ]);
  }
  if (nestsDeeperThan(input, MAX_INPUT_DEPTH)) {
    throw new RtcValidationError([
      {
        field: '(body)',
        rule: 'maxDepth',
        message: `the input must not nest deeper than ${MAX_INPUT_DEPTH} levels`,
      },
    ]);
  }
  const instance = input instanceof dto ? input : plainToInstance(dto, input);
  const errors = validateSync(instance, RTC_VALIDATOR_OPTIONS);
  if (errors.length > 0) throw new RtcValidationError(toFieldViolations(errors));
  return instance;
}

/**
 * Whether `value` has objects or arrays nested more than `limit` levels deep, `value` itself
 * being level 1 (a scalar has none). A walk with its own stack, which stops as soon as it gets
 * that deep, so it cannot overflow and costs next to nothing for the flat objects valid input is
 * (a cycle reaches any depth, so it is refused too). For an edge that must refuse deep input
 * before anything else recurses into it (a parsed request body, say).
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit < 1) return true;
  const stack: Array<{ readonly value: object; readonly depth: number }> = [{ value, depth: 1 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    for (const child of Object.values(next.value)) {
      if (typeof child !== 'object' || child === null) continue;
      if (next.depth + 1 > limit) return true;
      stack.push({ value: child as object, depth: next.depth + 1 });
    }
  }
  return false;
}
