import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { serializeRtcToken, signTokenMessage } from './token-codec';
import { RtcTokenContent, RtcTokenFormatError } from './token-format';

/**
 * An app's AppKeys: the primary, which signs new tokens, and optionally a secondary, which is
 * also accepted when verifying (the console gives an app two, so one can be rotated while tokens
 * signed with the other are still out there).
 *
 * The keys live in `#private` fields and never leave this object: it signs and checks, and shows
 * nothing of them when logged, inspected (even with `showHidden`) or serialized.
 */
export class RtcAppKeys {
  readonly #primary: string;
  readonly #secondary: string | undefined;

  /** @throws RtcTokenFormatError when a key is not a non-empty string (without quoting it) */
  constructor(primary: string, secondary?: string) {
    for (const [name, key] of [
      ['appKey', primary],
      ['secondaryAppKey', secondary],
    ] as const) {
      if (key === undefined && name === 'secondaryAppKey') continue;
      if (typeof key !== 'string' || key.length === 0) {
        throw new RtcTokenFormatError(`${name} must be a non-empty string`);
      }
    }
    this.#primary = primary;
    this.#secondary = secondary;
  }

  /** Whether a secondary key is accepted too. */
  get hasSecondary(): boolean {
    return this.#secondary !== undefined;
  }

  /** The token for `content`, signed with the primary key. */
  sign(content: RtcTokenContent): string {
    return serializeRtcToken(content, this.#primary);
  }

  /**
   * Whether `signature` is the HMAC of `message` under the primary or the secondary key. Both are
   * always computed and compared in constant time, so the time taken says nothing of which key,
   * if any, matched, or of how much of the signature did.
   */
  signed(message: Buffer, signature: Buffer): boolean {
    let matched = false;
    for (const key of [this.#primary, this.#secondary]) {
      if (key === undefined) continue;
      const expected = signTokenMessage(message, key);
      matched =
        (expected.length === signature.length && timingSafeEqual(expected, signature)) || matched;
    }
    return matched;
  }

  toJSON(): object {
    return { appKey: '[redacted]', ...(this.hasSecondary && { secondaryAppKey: '[redacted]' }) };
  }

  [inspect.custom](): string {
    return `RtcAppKeys { appKey: [redacted]${this.hasSecondary ? ', secondaryAppKey: [redacted]' : ''} }`;
  }
}
