import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { ID_PATTERN } from '../rtc-openapi.constants';

export const RTC_ID_RULE = 'rtcId';

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
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be a string of 1 to 128 characters from a-z A-Z 0-9 _ @ . - ` +
          `(pattern ${ID_PATTERN.source})`,
      },
    });
}
