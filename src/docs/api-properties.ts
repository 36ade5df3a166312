import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ID_PATTERN, MAX_BATCH_MESSAGE_BYTES, MAX_MESSAGE_BYTES } from 'nestjs-volcengine-rtc';

/*
 * How the documented request classes describe the library's rules. Sizes and patterns come from
 * the library's constants, and `api-docs.spec.ts` checks each documented class against the
 * validation it inherits (same fields, same required ones, examples that pass), so the docs
 * cannot drift from what the pipe enforces.
 */

const bytes = (n: number): string => n.toLocaleString('en-US');

const ID_RULE = `1 to 128 characters from a-z A-Z 0-9 _ @ . -`;

/** An RTC id (`to`, `from`, `roomId`): the upstream's one id rule. */
export function rtcIdProperty(description: string, example: string): ApiPropertyOptions {
  return {
    type: String,
    description: `${description}; ${ID_RULE}.`,
    pattern: ID_PATTERN.source,
    minLength: 1,
    maxLength: 128,
    example,
  };
}

/** `message`: text, or base64 with `binary`, measured in bytes as the upstream measures it. */
export function messageProperty(
  maxBytes: typeof MAX_MESSAGE_BYTES | typeof MAX_BATCH_MESSAGE_BYTES,
  example: string,
): ApiPropertyOptions {
  return {
    type: String,
    minLength: 1,
    description:
      `Text of at most ${bytes(maxBytes)} bytes in UTF-8 (30,000 Chinese characters are 90,000 ` +
      `bytes), or, with \`binary: true\`, canonical base64 (standard alphabet, \`=\` padding, no ` +
      `whitespace) of at most ${bytes(maxBytes)} bytes once decoded. Not empty.`,
    example,
  };
}

export const BINARY_PROPERTY: ApiPropertyOptions = {
  type: Boolean,
  default: false,
  description:
    '`true` when `message` is base64 of binary data. A JSON boolean: `"true"` is refused.',
  example: false,
};

export const FROM_PROPERTY: ApiPropertyOptions = rtcIdProperty(
  'Sender id the clients see; defaults to `RTC_FROM`. Any other must be listed in `RTC_ALLOWED_FROM` (otherwise 403)',
  'billing_bot',
);

export const APP_ID_PROPERTY: ApiPropertyOptions = {
  type: String,
  minLength: 1,
  description:
    'RTC AppId to send from; defaults to `RTC_APP_ID`. Any other must be listed in `RTC_ALLOWED_APP_IDS` (otherwise 403).',
  example: '661e000000000000000543cf',
};

/**
 * Documents the options every message body shares (`binary`, `from`, `appId`) on each class, as
 * `@ApiPropertyOptional` on each would, so the five request classes do not restate them.
 */
export function documentMessageOptions(
  ...targets: (abstract new (...args: never[]) => object)[]
): void {
  for (const target of targets) {
    const prototype = target.prototype as object;
    ApiPropertyOptional(BINARY_PROPERTY)(prototype, 'binary');
    ApiPropertyOptional(FROM_PROPERTY)(prototype, 'from');
    ApiPropertyOptional(APP_ID_PROPERTY)(prototype, 'appId');
  }
}

/**
 * A list of recipients. Its maximum (`FAN_OUT_MAX_RECIPIENTS`) is configuration, so it is set on
 * the document when the app builds it (`withRecipientCap`).
 */
export function recipientListProperty(
  description: string,
  items: ApiPropertyOptions['items'],
  example: readonly string[],
): ApiPropertyOptions {
  return {
    type: [String],
    minItems: 1,
    description,
    items,
    example,
  };
}

/** A list entry under the id rule. */
export const RTC_ID_ITEM = {
  type: 'string',
  pattern: ID_PATTERN.source,
  minLength: 1,
  maxLength: 128,
} as const;
