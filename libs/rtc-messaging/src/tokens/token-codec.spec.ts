import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeRtcToken,
  parseRtcToken,
  RTC_TOKEN_MAX_LENGTH,
  RtcAppKeys,
  RtcTokenFormatError,
  serializeRtcToken,
  tokenValidUntil,
  verifyRtcToken,
} from '.';
import { TOKEN_VECTORS } from './token-vectors.fixture';

const [login, room, noExpiry, unicode] = TOKEN_VECTORS;
/** A moment at which every vector is still valid. */
const NOW = 1764547200 + 60;

/** `token` with the character at `index` replaced by another of the base64 alphabet. */
const flipCharAt = (token: string, index: number): string =>
  token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);

describe('the "001" token codec', () => {
  describe.each(TOKEN_VECTORS)('known-answer vector: $name', ({ appKey, content, token }) => {
    it('is reproduced byte for byte', () => {
      expect(serializeRtcToken(content, appKey)).toBe(token);
    });

    it('parses back to its fields', () => {
      expect(parseRtcToken(token)).toEqual(content);
    });

    it('verifies with its AppKey', () => {
      expect(verifyRtcToken(token, appKey, { now: NOW, appId: content.appId })).toEqual({
        valid: true,
        content,
      });
    });
  });

  it('writes privileges in ascending order whatever order they are given in', () => {
    const reversed = { ...room.content, privileges: [...room.content.privileges].reverse() };
    expect(serializeRtcToken(reversed, room.appKey)).toBe(room.token);
  });

  describe('refuses', () => {
    it('every token with one character changed, wherever it is', () => {
      for (const { token, appKey, content } of TOKEN_VECTORS) {
        for (let i = 0; i < token.length; i++) {
          const verdict = verifyRtcToken(flipCharAt(token, i), appKey, {
            now: NOW,
            appId: content.appId,
          });
          expect({ i, valid: verdict.valid }).toEqual({ i, valid: false });
        }
      }
    });

    it('every token with one bit of its content flipped, as a signature mismatch or unreadable', () => {
      const prefix = room.token.slice(0, 27);
      const bytes = Buffer.from(room.token.slice(27), 'base64');
      const reasons = new Set<string>();
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const tampered = Buffer.from(bytes);
        tampered[bit >> 3] ^= 1 << (bit & 7);
        const verdict = verifyRtcToken(prefix + tampered.toString('base64'), room.appKey, {
          now: NOW,
        });
        expect({ bit, valid: verdict.valid }).toEqual({ bit, valid: false });
        if (!verdict.valid) reasons.add(verdict.reason);
      }
      expect([...reasons].sort()).toEqual(['malformed', 'signature']);
    });

    it('a token signed with another key', () => {
      expect(verifyRtcToken(login.token, '0123456789abcdef0123456789abcdeF', { now: NOW })).toEqual(
        {
          valid: false,
          reason: 'signature',
          problem: expect.stringContaining('signature') as string,
          content: login.content,
        },
      );
    });

    it('a token for another app', () => {
      const verdict = verifyRtcToken(login.token, login.appKey, {
        now: NOW,
        appId: unicode.content.appId,
      });
      expect(verdict).toMatchObject({ valid: false, reason: 'appId' });
    });

    it('every truncation of a token, as malformed', () => {
      for (const { token, appKey } of TOKEN_VECTORS) {
        for (let length = 0; length < token.length; length++) {
          const verdict = verifyRtcToken(token.slice(0, length), appKey, { now: NOW });
          expect({ length, reason: verdict.valid ? 'valid' : verdict.reason }).toEqual({
            length,
            reason: 'malformed',
          });
        }
      }
    });

    it('a token with bytes after its signature', () => {
      const bytes = Buffer.concat([Buffer.from(login.token.slice(27), 'base64'), Buffer.alloc(3)]);
      expect(() => decodeRtcToken(login.token.slice(0, 27) + bytes.toString('base64'))).toThrow(
        /3 unexpected bytes after the content/,
      );
    });

    it('another version, non-canonical base64, and what is not a string', () => {
      expect(() => parseRtcToken(`002${login.token.slice(3)}`)).toThrow(/version 001/);
      expect(() => parseRtcToken(`${login.token.slice(0, -2)}\n==`)).toThrow(/canonical base64/);
      expect(() => decodeRtcToken(42)).toThrow(/token must be a string/);
    });

    it('a token longer than the format can write, before decoding or hashing any of it', () => {
      // The longest token: a signed part of 65,535 bytes (its uint16 length's maximum).
      const longest = serializeRtcToken(
        { ...login.content, roomId: 'r'.repeat(65_535 - 18 - 1), userId: 'u', privileges: [] },
        login.appKey,
      );
      expect(longest).toHaveLength(RTC_TOKEN_MAX_LENGTH);
      expect(verifyRtcToken(longest, login.appKey, { now: NOW }).valid).toBe(true);

      const decode = jest.spyOn(Buffer, 'from');
      const hmac = jest.spyOn(RtcAppKeys.prototype, 'signed');
      try {
        const huge = `${login.token}${'A'.repeat(10_000_000)}`;
        expect(verifyRtcToken(huge, login.appKey, { now: NOW })).toEqual({
          valid: false,
          reason: 'malformed',
          problem: `token must be at most 87455 characters (the longest the format can write); it is ${huge.length}`,
        });
        expect(() => parseRtcToken(`${longest}A`)).toThrow(/at most 87455 characters/);
        expect(decode).not.toHaveBeenCalledWith(expect.stringMatching(/A{1000}/), 'base64');
        expect(hmac).not.toHaveBeenCalled();
      } finally {
        decode.mockRestore();
        hmac.mockRestore();
      }
    });
  });

  describe('now', () => {
    it.each([
      ['missing', undefined, 'now must be a finite number of Unix seconds; it is missing'],
      ['NaN', NaN, 'now must be a finite number of Unix seconds; it is NaN'],
      ['Infinity', Infinity, 'now must be a finite number of Unix seconds; it is Infinity'],
      ['a string', '1764547260', 'now must be a finite number of Unix seconds; it is a string'],
      [
        'in milliseconds',
        1764547260_000,
        'now must be Unix seconds from 0 to 4294967295 (milliseconds are too large); it is 1764547260000',
      ],
      [
        'negative',
        -1,
        'now must be Unix seconds from 0 to 4294967295 (milliseconds are too large); it is -1',
      ],
    ])(
      'refuses a time that is %s, naming now, rather than treat the token as unexpired',
      (_, now, message) => {
        const check = { now } as unknown as { now: number };
        expect(() => verifyRtcToken(login.token, login.appKey, check)).toThrow(
          new RangeError(message),
        );
        expect(() => verifyRtcToken(login.token, login.appKey, undefined as never)).toThrow(
          /it is missing/,
        );
      },
    );
  });

  describe('expiry', () => {
    it('is valid until the second before expiresAt, and expired from it', () => {
      const { expiresAt } = login.content;
      expect(verifyRtcToken(login.token, login.appKey, { now: expiresAt - 1 }).valid).toBe(true);
      expect(verifyRtcToken(login.token, login.appKey, { now: expiresAt })).toMatchObject({
        valid: false,
        reason: 'expired',
        content: login.content,
      });
    });

    it('caps a token with no expiry at 7 days after it was issued, as the service does', () => {
      const cap = noExpiry.content.issuedAt + 604_800;
      expect(tokenValidUntil(noExpiry.content)).toBe(cap);
      expect(verifyRtcToken(noExpiry.token, noExpiry.appKey, { now: cap - 1 }).valid).toBe(true);
      expect(verifyRtcToken(noExpiry.token, noExpiry.appKey, { now: cap })).toMatchObject({
        reason: 'expired',
      });
    });

    it('caps a token whose expiresAt is further than 7 days', () => {
      const content = { ...login.content, expiresAt: login.content.issuedAt + 30 * 86_400 };
      expect(tokenValidUntil(content)).toBe(login.content.issuedAt + 604_800);
    });
  });

  describe('keys', () => {
    it('accepts a token signed with the secondary key, and signs with the primary', () => {
      const keys = new RtcAppKeys('new-primary-key', login.appKey);
      expect(verifyRtcToken(login.token, keys, { now: NOW }).valid).toBe(true);
      const token = keys.sign(login.content);
      expect(verifyRtcToken(token, 'new-primary-key', { now: NOW }).valid).toBe(true);
      expect(verifyRtcToken(token, login.appKey, { now: NOW }).valid).toBe(false);
    });

    it('refuses empty keys, naming them', () => {
      expect(() => new RtcAppKeys('')).toThrow('appKey must be a non-empty string');
      expect(() => new RtcAppKeys('k', '')).toThrow('secondaryAppKey must be a non-empty string');
      expect(() => serializeRtcToken(login.content, '')).toThrow(RtcTokenFormatError);
    });
  });

  describe('serialize refuses what the format cannot carry, naming the field', () => {
    it.each([
      ['an AppId of 23 characters', { appId: 'a'.repeat(23) }, /appId must be 24 printable ASCII/],
      ['a non-ASCII AppId', { appId: `${'a'.repeat(23)}é` }, /appId must be 24 printable ASCII/],
      ['a nonce over 2^32-1', { nonce: 2 ** 32 }, /nonce must be an integer from 0 to 4294967295/],
      ['a negative issuedAt', { issuedAt: -1 }, /issuedAt must be an integer/],
      ['a fractional expiresAt', { expiresAt: 1.5 }, /expiresAt must be an integer/],
      ['a lone surrogate', { userId: 'a\ud800' }, /userId must be well-formed Unicode/],
      ['a room id over 65,535 bytes', { roomId: 'é'.repeat(32_768) }, /roomId must be at most/],
      [
        'a privilege given twice',
        {
          privileges: [
            { privilege: 4, expiresAt: 0 },
            { privilege: 4, expiresAt: 1 },
          ],
        },
        /privilege 4 is given more than once/,
      ],
      [
        'a privilege code over 65,535',
        { privileges: [{ privilege: 65_536, expiresAt: 0 }] },
        /privilege code must be an integer from 0 to 65535/,
      ],
    ])('%s', (_name, change, expected) => {
      expect(() => serializeRtcToken({ ...login.content, ...change }, login.appKey)).toThrow(
        expected,
      );
    });
  });

  it('is pure: no file of the folder imports Nest, HTTP, or anything outside it but node:crypto and node:util', () => {
    const sources = readdirSync(__dirname).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'),
    );
    for (const file of sources) {
      const imports = [
        ...readFileSync(join(__dirname, file), 'utf8').matchAll(/from '([^']+)'/g),
      ].map((match) => match[1]);
      for (const source of imports) {
        expect({
          file,
          source,
          allowed: /^(\.\/|node:crypto$|node:util$|\.$)/.test(source),
        }).toEqual({ file, source, allowed: true });
      }
    }
  });
});
