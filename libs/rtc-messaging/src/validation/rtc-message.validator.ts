import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { isWellFormedText, MAX_MESSAGE_BYTES } from '../rtc-openapi.constants';

export const MESSAGE_SIZE_RULE = 'maxMessageBytes';
export const MESSAGE_BASE64_RULE = 'canonicalBase64';
export const MESSAGE_NOT_EMPTY_RULE = 'notEmpty';
export const MESSAGE_WELL_FORMED_RULE = 'wellFormedUtf16';

/** How an object marks its `message` as binary (base64) rather than text. */
interface MaybeBinary {
  readonly binary?: unknown;
}

/**
 * The size of a message as the upstream counts it: UTF-8 bytes of a text message, decoded bytes of
 * a binary one. `undefined` when a binary message is not canonical base64 (standard alphabet,
 * `=` padding, no whitespace): Node's decoder skips invalid characters, so a string that does not
 * survive a decode/encode round trip unchanged is not what the upstream would decode.
 */
export function messageBytes(message: string, binary: boolean): number | undefined {
  if (!binary) return Buffer.byteLength(message, 'utf8');
  const decoded = Buffer.from(message, 'base64');
  return decoded.toString('base64') === message ? decoded.length : undefined;
}

const formatBytes = (n: number): string => n.toLocaleString('en-US');

/**
 * A message body: a non-empty string (well-formed UTF-16 when text), at most `maxBytes` (default 64 KB = 65,536) bytes in UTF-8,
 * or, when the object's `binary` is `true`, canonical base64 of at most `maxBytes` decoded bytes.
 * The error names the measured size, so a caller sees by how much it is over.
 */
export function IsRtcMessage(
  maxBytes: number = MAX_MESSAGE_BYTES,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target, propertyName) => {
    const register = (
      name: string,
      check: (value: string, binary: boolean) => boolean,
      message: (args: ValidationArguments, binary: boolean) => string,
    ) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options,
        validator: {
          // A non-string is reported once, by IsString on the DTO, not by every rule here.
          validate: (value: unknown, args) =>
            typeof value !== 'string' ||
            check(value, (args?.object as MaybeBinary).binary === true),
          defaultMessage: (args?: ValidationArguments) =>
            message(args!, (args!.object as MaybeBinary).binary === true),
        },
      });

    register(
      MESSAGE_NOT_EMPTY_RULE,
      (value) => value.length > 0,
      ({ property }) => `${property} must not be empty`,
    );
    register(
      MESSAGE_WELL_FORMED_RULE,
      // Binary is base64 (ASCII): a lone surrogate there fails the base64 rule below.
      (value, binary) => binary || isWellFormedText(value),
      ({ property }) =>
        `${property} must be well-formed UTF-16: an unpaired surrogate (e.g. \\ud800) would reach users as U+FFFD`,
    );
    register(
      MESSAGE_BASE64_RULE,
      (value, binary) => !binary || value.length === 0 || messageBytes(value, true) !== undefined,
      ({ property }) =>
        `${property} must be canonical base64 (A-Z a-z 0-9 + /, = padding, no whitespace) when binary is true`,
    );
    register(
      MESSAGE_SIZE_RULE,
      // Counting base64 bytes needs no decode; whether it is canonical is the rule above.
      (value, binary) => Buffer.byteLength(value, binary ? 'base64' : 'utf8') <= maxBytes,
      ({ property, value }, binary) =>
        `${property} must be at most ${formatBytes(maxBytes)} bytes ${binary ? 'after base64 decoding' : 'in UTF-8'}; ` +
        `it is ${formatBytes(messageBytes(value as string, binary) ?? 0)} bytes`,
    );
  };
}
