import { RtcValidationError } from '../errors';
import { validateInput } from '../validation';
import { SendUnicastDto } from './send-unicast.dto';

/** The violations `validateInput` reports for `input`, or `[]` when it passes. */
function violations(input: unknown): { field: string; rule: string; message: string }[] {
  try {
    validateInput(SendUnicastDto, input);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(RtcValidationError);
    return [...(error as RtcValidationError).violations];
  }
}

const base64OfBytes = (n: number) => Buffer.alloc(n, 0xab).toString('base64');

describe('SendUnicastDto rules', () => {
  it('accepts a minimal text message and keeps its fields', () => {
    const dto = validateInput(SendUnicastDto, { to: 'user_42', message: 'hello' });
    expect(dto).toBeInstanceOf(SendUnicastDto);
    expect(dto).toMatchObject({ to: 'user_42', message: 'hello' });
  });

  describe('to / from: the id rule [a-zA-Z0-9_@.-]{1,128}', () => {
    it.each(['a', 'A-z_0.9@x', 'x'.repeat(128), 'user@example.com'])('accepts %p', (to) => {
      expect(violations({ to, message: 'm' })).toEqual([]);
      expect(violations({ to: 'u', from: to, message: 'm' })).toEqual([]);
    });

    it.each([
      ['empty', ''],
      ['129 characters', 'x'.repeat(129)],
      ['a space', 'user 42'],
      ['a slash', 'a/b'],
      ['a non-ASCII letter', 'usér'],
      ['a CJK character', '用户'],
    ])('refuses %s, naming the field and the rule', (_, id) => {
      expect(violations({ to: id, message: 'm' })).toEqual([
        { field: 'to', rule: 'rtcId', message: expect.stringMatching(/^to must be .*1 to 128/) },
      ]);
      expect(violations({ to: 'u', from: id, message: 'm' })).toEqual([
        expect.objectContaining({ field: 'from', rule: 'rtcId' }),
      ]);
    });

    it('refuses a number instead of coercing it', () => {
      expect(violations({ to: 42, message: 'm' })).toEqual([
        expect.objectContaining({ field: 'to', rule: 'rtcId' }),
      ]);
    });

    it('requires to', () => {
      expect(violations({ message: 'm' })).toEqual([
        expect.objectContaining({ field: 'to', rule: 'rtcId' }),
      ]);
    });
  });

  describe('text message: non-empty, at most 65,536 UTF-8 bytes', () => {
    it('accepts exactly 65,536 ASCII bytes and refuses 65,537 with the measured size', () => {
      expect(violations({ to: 'u', message: 'a'.repeat(65_536) })).toEqual([]);
      expect(violations({ to: 'u', message: 'a'.repeat(65_537) })).toEqual([
        {
          field: 'message',
          rule: 'maxMessageBytes',
          message: 'message must be at most 65,536 bytes in UTF-8; it is 65,537 bytes',
        },
      ]);
    });

    it('counts bytes, not characters: CJK is 3 bytes, emoji 4', () => {
      expect(violations({ to: 'u', message: '中'.repeat(21_845) })).toEqual([]); // 65,535 bytes
      expect(violations({ to: 'u', message: '中'.repeat(21_846) })).toEqual([
        expect.objectContaining({
          rule: 'maxMessageBytes',
          message: expect.stringContaining('65,538 bytes'),
        }),
      ]);
      expect(violations({ to: 'u', message: '😀'.repeat(16_384) })).toEqual([]); // 65,536 bytes
      expect(violations({ to: 'u', message: '😀'.repeat(16_384) + 'a' })).toHaveLength(1);
    });

    it('refuses a 30,000-character Chinese text (90,000 bytes)', () => {
      expect(violations({ to: 'u', message: '消'.repeat(30_000) })).toEqual([
        expect.objectContaining({
          field: 'message',
          rule: 'maxMessageBytes',
          message: expect.stringContaining('it is 90,000 bytes'),
        }),
      ]);
    });

    it('refuses an empty message', () => {
      expect(violations({ to: 'u', message: '' })).toEqual([
        { field: 'message', rule: 'notEmpty', message: 'message must not be empty' },
      ]);
    });

    it('refuses a missing or non-string message once, as a type error', () => {
      for (const message of [undefined, 42, { text: 'hi' }, ['a']]) {
        expect(violations({ to: 'u', message })).toEqual([
          expect.objectContaining({ field: 'message', rule: 'isString' }),
        ]);
      }
    });
  });

  describe('binary message: canonical base64, at most 65,536 decoded bytes', () => {
    it('accepts 65,536 decoded bytes and refuses 65,537 with the decoded size', () => {
      expect(violations({ to: 'u', binary: true, message: base64OfBytes(65_536) })).toEqual([]);
      expect(violations({ to: 'u', binary: true, message: base64OfBytes(65_537) })).toEqual([
        {
          field: 'message',
          rule: 'maxMessageBytes',
          message: 'message must be at most 65,536 bytes after base64 decoding; it is 65,537 bytes',
        },
      ]);
    });

    it.each([
      ['missing padding', 'aGVsbG8'],
      ['a trailing newline', 'aGVsbG8=\n'],
      ['inner whitespace', 'aGVs bG8='],
      ['the URL-safe alphabet', 'a-_b'],
      ['non-zero padding bits', 'aGVsbG9='],
      ['characters outside base64', 'hello world!'],
    ])('refuses %s', (_, message) => {
      expect(violations({ to: 'u', binary: true, message })).toEqual([
        expect.objectContaining({ field: 'message', rule: 'canonicalBase64' }),
      ]);
    });

    it('does not hold a text message to base64 rules', () => {
      expect(violations({ to: 'u', binary: false, message: 'hello world!' })).toEqual([]);
    });
  });

  it('refuses a string "true" for binary instead of coercing it', () => {
    expect(violations({ to: 'u', binary: 'true', message: 'aGk=' })).toEqual([
      expect.objectContaining({ field: 'binary', rule: 'isBoolean' }),
    ]);
  });

  describe('appId: the id rule, so a caller cannot grow memory or budgets with huge AppIds', () => {
    it.each(['661e000000000000000543cf', 'x'.repeat(128), 'app-1.b_c@d'])('accepts %p', (appId) => {
      expect(violations({ to: 'u', message: 'm', appId })).toEqual([]);
    });

    it.each(['', 'x'.repeat(129), 'app 1', 'app/1', 7])(
      'refuses %p, naming appId and the rule',
      (appId) => {
        expect(violations({ to: 'u', message: 'm', appId })).toEqual([
          expect.objectContaining({
            field: 'appId',
            rule: 'rtcId',
            message: expect.stringMatching(/^appId must be a string of 1 to 128 characters/),
          }),
        ]);
      },
    );

    it('refuses a 1 MB appId', () => {
      expect(violations({ to: 'u', message: 'm', appId: 'x'.repeat(1_000_000) })).toEqual([
        expect.objectContaining({ field: 'appId', rule: 'rtcId' }),
      ]);
    });
  });

  it.each(['a\ud800b', '\udc00', 'end\ud83d', '\ude00\ud83d'])(
    'refuses a text message with an unpaired UTF-16 surrogate (%j), naming message',
    (message) => {
      expect(violations({ to: 'u', message })).toEqual([
        expect.objectContaining({
          field: 'message',
          message: expect.stringMatching(/^message must be well-formed UTF-16/),
        }),
      ]);
    },
  );

  it('accepts a text message with paired surrogates (emoji)', () => {
    expect(violations({ to: 'u', message: 'hi \ud83d\ude00 \u{1F680}' })).toEqual([]);
  });

  it('refuses unknown fields instead of dropping them', () => {
    expect(violations({ to: 'u', message: 'm', priority: 'high' })).toEqual([
      { field: 'priority', rule: 'unknownField', message: 'priority is not a known field' },
    ]);
  });

  it('reports every broken rule at once', () => {
    const found = violations({ to: 'bad id', message: '', binary: 1, extra: true });
    expect(found.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
      'binary:isBoolean',
      'extra:unknownField',
      'message:notEmpty',
      'to:rtcId',
    ]);
  });

  it.each([null, undefined, 'text', 42, ['to']])('refuses a non-object input %p', (input) => {
    expect(violations(input)).toEqual([expect.objectContaining({ rule: 'isObject' })]);
  });
});
