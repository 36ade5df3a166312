import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import {
  RTC_CALLBACK_SIGNED_FIELDS,
  RtcCallbackSecrets,
  rtcCallbackSignature,
  verifyRtcCallbackSignature,
} from './rtc-callback-signature';
import { RTC_CALLBACK_VECTORS } from './rtc-callback-vectors.fixture';

describe('rtcCallbackSignature', () => {
  it.each(RTC_CALLBACK_VECTORS.map((vector, i) => [i + 1, vector] as const))(
    'computes known-answer vector %i byte for byte',
    (_n, { fields, secret, signature }) => {
      expect(rtcCallbackSignature(fields, secret)).toBe(signature);
    },
  );

  it('sorts by UTF-8 bytes, not UTF-16 code units (vector 3 tells them apart)', () => {
    const { fields, secret, signature } = RTC_CALLBACK_VECTORS[2];
    const strings = [...RTC_CALLBACK_SIGNED_FIELDS.map((name) => fields[name]), secret];
    const utf16 = createHash('sha256').update(strings.sort().join(''), 'utf8').digest('hex');
    expect(utf16.startsWith('59aba1eb')).toBe(true);
    expect(rtcCallbackSignature(fields, secret)).toBe(signature);
  });

  it('is 64 lowercase hex characters', () => {
    const { fields, secret } = RTC_CALLBACK_VECTORS[0];
    expect(rtcCallbackSignature(fields, secret)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('RtcCallbackSecrets', () => {
  const [v1, v2, v3] = RTC_CALLBACK_VECTORS;

  it('accepts a signature under the primary secret', () => {
    expect(new RtcCallbackSecrets(v1.secret).verify(v1.fields, v1.signature)).toBe(true);
  });

  it('accepts a signature under the secondary secret during a rotation', () => {
    const secrets = new RtcCallbackSecrets('new-primary', v2.secret);
    expect(secrets.verify(v2.fields, v2.signature)).toBe(true);
    expect(secrets.hasSecondary).toBe(true);
  });

  it('refuses a signature under neither secret', () => {
    expect(new RtcCallbackSecrets('a', 'b').verify(v3.fields, v3.signature)).toBe(false);
  });

  it('refuses a signature when any signed field changed', () => {
    const secrets = new RtcCallbackSecrets(v1.secret);
    for (const name of RTC_CALLBACK_SIGNED_FIELDS) {
      const changed = { ...v1.fields, [name]: `${v1.fields[name]}x` };
      expect(secrets.verify(changed, v1.signature)).toBe(false);
    }
  });

  it.each([
    ['upper-case hex', v1.signature.toUpperCase()],
    ['a truncated signature', v1.signature.slice(0, 63)],
    ['an empty signature', ''],
    ['a longer signature', `${v1.signature}0`],
  ])('refuses %s without throwing', (_case, signature) => {
    expect(new RtcCallbackSecrets(v1.secret).verify(v1.fields, signature)).toBe(false);
  });

  it('signs with the primary secret', () => {
    expect(new RtcCallbackSecrets(v1.secret, 'other').sign(v1.fields)).toBe(v1.signature);
  });

  it('refuses an empty secret, naming the option and not the value', () => {
    expect(() => new RtcCallbackSecrets('')).toThrow('callbackSecret must be a non-empty string');
    expect(() => new RtcCallbackSecrets('x', '')).toThrow(/^secondaryCallbackSecret/);
  });

  it('never shows its secrets when inspected or serialized', () => {
    const secrets = new RtcCallbackSecrets('primary-s3cret', 'secondary-s3cret');
    const shown = [inspect(secrets, { showHidden: true, depth: 5 }), JSON.stringify(secrets)].join(
      '\n',
    );
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('[redacted]');
  });
});

describe('verifyRtcCallbackSignature', () => {
  it('checks against a primary and an optional secondary secret', () => {
    const [v1] = RTC_CALLBACK_VECTORS;
    expect(verifyRtcCallbackSignature(v1.fields, v1.signature, v1.secret)).toBe(true);
    expect(verifyRtcCallbackSignature(v1.fields, v1.signature, 'other', v1.secret)).toBe(true);
    expect(verifyRtcCallbackSignature(v1.fields, v1.signature, 'other')).toBe(false);
  });
});
