import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import {
  RTC_VALIDATOR_OPTIONS,
  RtcValidationError,
  toFieldViolations,
} from 'nestjs-volcengine-rtc';

/**
 * Validates a body (or the route's parameters) with the library's own rules and options, so a
 * caller gets the same answer here as from the services: unknown fields refused, not dropped;
 * nothing coerced (`"true"` is not a boolean, `1` is not a string); errors as the library's
 * `RtcValidationError`, which the error filter turns into a 400 naming each field.
 *
 * @example
 * send(@Body(RtcValidationPipe) body: SendUnicastRequest) {}
 * broadcast(@Param(RtcValidationPipe) { roomId }: RoomIdParams) {}
 */
@Injectable()
export class RtcValidationPipe extends ValidationPipe {
  constructor() {
    super({
      ...RTC_VALIDATOR_OPTIONS,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      exceptionFactory: (errors) => new RtcValidationError(toFieldViolations(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // ValidationPipe would check an array's elements against the class, or an absent body as
    // `{}`, and report missing fields rather than the actual mistake.
    if (
      metadata.type === 'body' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new RtcValidationError([
        {
          field: '(body)',
          rule: 'isObject',
          message: 'the request body must be a JSON object (Content-Type: application/json)',
        },
      ]);
    }
    return super.transform(value, metadata);
  }
}
