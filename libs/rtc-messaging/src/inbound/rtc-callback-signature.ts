import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/**
 * The signature of RTC's event callbacks, as pure functions (no Nest, no HTTP).
 *
 * The algorithm is Volcengine's "回调签名验证" (docs 6348/293101): take the seven signed fields of the
 * callback and the callback secret, sort the eight strings in ascending order, concatenate them with
 * no separator, and hash the UTF-8 bytes with SHA-256; the lowercase hex digest is `Signature`.
 * The official sample is Go, whose `sort.Strings` compares UTF-8 bytes; JavaScript's default sort
 * compares UTF-16 code units and orders characters above U+FFFF before U+E000–U+FFFF differently,
 * so the sort here compares the UTF-8 encodings.
 */

/** The fields of an event callback that its `Signature` covers (every field but `Signature`). */
export interface RtcCallbackSignedFields {
  readonly EventType: string;
  /** The event's content: a JSON document inside a string, signed as the string received. */
  readonly EventData: string;
  readonly EventTime: string;
  readonly EventId: string;
  readonly AppId: string;
  readonly Version: string;
  /** A 4-character random value RTC adds to each delivery. */
  readonly Nonce: string;
}

/** The names of the signed fields, in the order RTC documents them. */
export const RTC_CALLBACK_SIGNED_FIELDS = [
  'EventType',
  'EventData',
  'EventTime',
  'EventId',
  'AppId',
  'Version',
  'Nonce',
] as const satisfies readonly (keyof RtcCallbackSignedFields)[];

/** Orders strings by their UTF-8 bytes, as Go's `sort.Strings` does. */
const byUtf8Bytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/**
 * The `Signature` RTC computes for `fields` under `secret`: 64 lowercase hex characters.
 *
 * @example
 * const signature = rtcCallbackSignature(
 *   { EventType, EventData, EventTime, EventId, AppId, Version, Nonce },
 *   callbackSecret,
 * );
 */
export function rtcCallbackSignature(fields: RtcCallbackSignedFields, secret: string): string {
  const parts = [...RTC_CALLBACK_SIGNED_FIELDS.map((name) => fields[name]), secret].map((value) =>
    Buffer.from(value, 'utf8'),
  );
  return createHash('sha256')
    .update(Buffer.concat(parts.sort(byUtf8Bytes)))
    .digest('hex');
}

/**
 * An app's callback secrets: the primary and, while it is being rotated, a secondary that is also
 * accepted. The secrets live in `#private` fields and never leave this object: it signs and
 * checks, and shows nothing of them when logged, inspected (even with `showHidden`) or serialized.
 *
 * @example
 * const secrets = new RtcCallbackSecrets(primary, secondary);
 * if (!secrets.verify(fields, body.Signature)) refuse(401);
 */
export class RtcCallbackSecrets {
  readonly #primary: string;
  readonly #secondary: string | undefined;

  /** @throws TypeError when a secret is not a non-empty string (without quoting it) */
  constructor(primary: string, secondary?: string) {
    if (typeof primary !== 'string' || primary.length === 0) {
      throw new TypeError('callbackSecret must be a non-empty string');
    }
    if (secondary !== undefined && (typeof secondary !== 'string' || secondary.length === 0)) {
      throw new TypeError('secondaryCallbackSecret must be a non-empty string when given');
    }
    this.#primary = primary;
    this.#secondary = secondary;
  }

  /** Whether a secondary secret is accepted too. */
  get hasSecondary(): boolean {
    return this.#secondary !== undefined;
  }

  /** The signature of `fields` under the primary secret (what RTC would send). */
  sign(fields: RtcCallbackSignedFields): string {
    return rtcCallbackSignature(fields, this.#primary);
  }

  /**
   * Whether `signature` is the signature of `fields` under the primary or the secondary secret.
   * Both are always computed and compared in constant time, so the time taken says nothing of
   * which secret, if any, matched, or of how much of the signature did.
   */
  verify(fields: RtcCallbackSignedFields, signature: string): boolean {
    const received = Buffer.from(String(signature), 'utf8');
    let matched = false;
    for (const secret of [this.#primary, this.#secondary]) {
      if (secret === undefined) continue;
      const expected = Buffer.from(rtcCallbackSignature(fields, secret), 'utf8');
      matched =
        (expected.length === received.length && timingSafeEqual(expected, received)) || matched;
    }
    return matched;
  }

  toJSON(): object {
    return {
      callbackSecret: '[redacted]',
      ...(this.hasSecondary && { secondaryCallbackSecret: '[redacted]' }),
    };
  }

  [inspect.custom](): string {
    return `RtcCallbackSecrets { callbackSecret: [redacted]${
      this.hasSecondary ? ', secondaryCallbackSecret: [redacted]' : ''
    } }`;
  }
}

/**
 * Whether `signature` is RTC's signature of `fields` under `secret` or, during a rotation, under
 * `secondarySecret`; compared in constant time.
 *
 * @example
 * if (!verifyRtcCallbackSignature(event, event.Signature, primary, secondary)) refuse(401);
 */
export function verifyRtcCallbackSignature(
  fields: RtcCallbackSignedFields,
  signature: string,
  secret: string,
  secondarySecret?: string,
): boolean {
  return new RtcCallbackSecrets(secret, secondarySecret).verify(fields, signature);
}
