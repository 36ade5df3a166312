import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { FieldViolation } from '../errors';
import { ID_PATTERN } from '../rtc-openapi.constants';
import { RTC_ID_RULE, rtcIdRuleText } from '../validation';

/** How many malformed entries a list's message names before it says how many more there are. */
const NAMED_IN_MESSAGE = 5;

/** How many per-entry violations {@link expandIdListViolations} lists before summing up the rest. */
export const MAX_ENTRY_VIOLATIONS = 100;

const isRtcId = (value: unknown): boolean => typeof value === 'string' && ID_PATTERN.test(value);

/** Positions of the entries of `ids` that break the id rule, in order, at most `limit` of them. */
function malformedPositions(ids: readonly unknown[], limit = Infinity): number[] {
  const positions: number[] = [];
  for (let i = 0; i < ids.length && positions.length < limit; i++) {
    if (!isRtcId(ids[i])) positions.push(i);
  }
  return positions;
}

/**
 * A list of ids, each following the id rule (`IsRtcId`). A non-array passes here and is reported
 * once by `IsArray`. class-validator reports a list as one violation of the field (`to`), so the
 * message names the malformed entries: `to[3], to[7] must be strings of …`.
 *
 * @example
 * class Batch {
 *   @IsArray()
 *   @ArrayNotEmpty()
 *   @IsRtcIdList()
 *   to!: string[];
 * }
 */
export function IsRtcIdList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: RTC_ID_RULE,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || value.every(isRtcId),
        defaultMessage: ({ property, value }: ValidationArguments) => {
          const ids = value as readonly unknown[];
          const named = malformedPositions(ids, NAMED_IN_MESSAGE);
          const total =
            named.length < NAMED_IN_MESSAGE ? named.length : malformedPositions(ids).length;
          const list = named.map((i) => `${property}[${i}]`).join(', ');
          const more = total > named.length ? ` and ${total - named.length} more` : '';
          return rtcIdRuleText(`${list}${more}`, total > 1);
        },
      },
    });
}

/**
 * Replaces the one list-wide id violation of `field` (from {@link IsRtcIdList}) by one violation
 * per malformed entry, named as the caller would index it: `to[3]`. At most
 * {@link MAX_ENTRY_VIOLATIONS} entries are listed; one last violation of `field` counts the rest.
 * Other violations are kept as they are.
 *
 * @example
 * try {
 *   validateInput(SendRoomBatchDto, body);
 * } catch (error) {
 *   if (error instanceof RtcValidationError)
 *     throw new RtcValidationError(expandIdListViolations(error.violations, 'to', body.to));
 *   throw error;
 * }
 */
export function expandIdListViolations(
  violations: readonly FieldViolation[],
  field: string,
  ids: unknown,
): FieldViolation[] {
  return violations.flatMap((violation) => {
    if (violation.field !== field || violation.rule !== RTC_ID_RULE || !Array.isArray(ids)) {
      return [violation];
    }
    const positions = malformedPositions(ids);
    return malformedIdViolations(field, positions.slice(0, MAX_ENTRY_VIOLATIONS), positions.length);
  });
}

/**
 * The violations of a list's malformed entries: one per position in `listed` (named as the caller
 * would index it, `to[3]`), and one last violation of `field` counting the rest when `count`
 * (how many there are in all) is more. For a list read as a stream, which keeps only the first
 * {@link MAX_ENTRY_VIOLATIONS} positions.
 */
export function malformedIdViolations(
  field: string,
  listed: readonly number[],
  count: number,
): FieldViolation[] {
  const named = listed.map((i) => ({
    field: `${field}[${i}]`,
    rule: RTC_ID_RULE,
    message: rtcIdRuleText(`${field}[${i}]`),
  }));
  const rest = count - named.length;
  return rest <= 0
    ? named
    : [
        ...named,
        {
          field,
          rule: RTC_ID_RULE,
          message: `${field} has ${rest.toLocaleString('en-US')} more malformed ids`,
        },
      ];
}
