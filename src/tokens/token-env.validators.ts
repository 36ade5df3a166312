import { registerDecorator, ValidationArguments } from 'class-validator';
import { RTC_TOKEN_APP_ID_PATTERN } from 'nestjs-volcengine-rtc';

/**
 * On `RTC_APP_KEY`: with a key set, `RTC_APP_ID` must be one a token can carry (24 printable
 * ASCII characters). The library refuses it too, but its error would name its option (`appId`),
 * not the variable to fix. Never quotes either value.
 */
export function IsTokenAppIdWithAppKey(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'tokenAppId',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => {
          if (value === undefined) return true;
          const appId = (args?.object as { RTC_APP_ID?: unknown }).RTC_APP_ID;
          // A missing RTC_APP_ID is reported on its own.
          return typeof appId !== 'string' || RTC_TOKEN_APP_ID_PATTERN.test(appId);
        },
        defaultMessage: () =>
          'RTC_APP_ID must be 24 printable ASCII characters when RTC_APP_KEY is set (a token carries exactly 24)',
      },
    });
}
