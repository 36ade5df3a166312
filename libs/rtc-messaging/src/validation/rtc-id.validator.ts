import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { ID_PATTERN } from '../rtc-openapi.constants';

export const RTC_ID_RULE = 'rtcId';

/** The id rule as a sentence about `subject` (one field, or several entries when `plural`). */
export const rtcIdRuleText = (subject: string, plural = false): string =>
  `${subject} must be ${plural ? 'strings' : 'a string'} of 1 to 128 characters from ` +
  `a-z A-Z 0-9 _ @ . - (pattern ${ID_PATTERN.source})`;

/**
 * The upstream's id rule (`From`, `To`, `RoomId`): a string of 1 to 128 characters from
 * `a-z A-Z 0-9 _ @ . -`. Numbers are refused rather than coerced.
 */
export function IsRtcId(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: RTC_ID_RULE,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && ID_PATTERN.test(value),
        defaultMessage: (args?: ValidationArguments) => rtcIdRuleText(String(args?.property)),
      },
    });
}
