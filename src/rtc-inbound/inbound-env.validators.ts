import { registerDecorator, ValidationArguments } from 'class-validator';

/**
 * On `RTC_CALLBACK_SECRET_SECONDARY`: a secondary secret is the one being rotated out, so it
 * comes with a primary; alone it would quietly leave the callback route off. Never quotes either.
 */
export function IsSecondaryCallbackSecretWithPrimary(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'secondaryCallbackSecretWithPrimary',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          value === undefined ||
          (args?.object as { RTC_CALLBACK_SECRET?: unknown }).RTC_CALLBACK_SECRET !== undefined,
        defaultMessage: () =>
          'RTC_CALLBACK_SECRET_SECONDARY needs RTC_CALLBACK_SECRET (the secondary is the secret being rotated out)',
      },
    });
}
