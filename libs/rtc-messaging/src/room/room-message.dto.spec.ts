import { ClassConstructor } from 'class-transformer';
import { FieldViolation, RtcValidationError } from '../errors';
import { validateInput } from '../validation';
import {
  RoomIdParamsDto,
  SendRoomBatchDto,
  SendRoomBroadcastDto,
  SendRoomUnicastDto,
} from './room-message.dto';
import { expandIdListViolations, MAX_ENTRY_VIOLATIONS } from './rtc-id-list.validator';

/** The violations `validateInput` reports for `input`, or `[]` when it passes. */
function violations<T extends object>(dto: ClassConstructor<T>, input: unknown): FieldViolation[] {
  try {
    validateInput(dto, input);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(RtcValidationError);
    return [...(error as RtcValidationError).violations];
  }
}

const rulesOf = (found: FieldViolation[]) => found.map((v) => `${v.field}:${v.rule}`).sort();
const base64OfBytes = (n: number) => Buffer.alloc(n, 0xab).toString('base64');

describe('room message DTOs (HTTP bodies; the room id comes from the route)', () => {
  describe('SendRoomBroadcastDto', () => {
    it('accepts a message with optional binary, from and appId', () => {
      expect(violations(SendRoomBroadcastDto, { message: 'hi' })).toEqual([]);
      expect(
        violations(SendRoomBroadcastDto, {
          message: 'aGk=',
          binary: true,
          from: 'referee',
          appId: 'app',
        }),
      ).toEqual([]);
    });

    it('holds the message to 64 KB, text or binary', () => {
      expect(violations(SendRoomBroadcastDto, { message: 'a'.repeat(65_536) })).toEqual([]);
      expect(violations(SendRoomBroadcastDto, { message: 'a'.repeat(65_537) })).toEqual([
        expect.objectContaining({ field: 'message', rule: 'maxMessageBytes' }),
      ]);
      expect(
        violations(SendRoomBroadcastDto, { message: base64OfBytes(65_537), binary: true }),
      ).toEqual([expect.objectContaining({ field: 'message', rule: 'maxMessageBytes' })]);
    });

    it('holds appId to the id rule and message to well-formed UTF-16', () => {
      expect(violations(SendRoomBroadcastDto, { message: 'hi', appId: 'x'.repeat(129) })).toEqual([
        expect.objectContaining({ field: 'appId', rule: 'rtcId' }),
      ]);
      expect(violations(SendRoomBatchDto, { to: ['a'], message: 'a\ud800b' })).toEqual([
        expect.objectContaining({ field: 'message', rule: 'wellFormedUtf16' }),
      ]);
    });

    it('refuses a roomId in the body: the route carries it', () => {
      expect(violations(SendRoomBroadcastDto, { message: 'hi', roomId: 'r' })).toEqual([
        { field: 'roomId', rule: 'unknownField', message: 'roomId is not a known field' },
      ]);
    });

    it('refuses a "to" (a broadcast has no recipient) and every broken rule at once', () => {
      expect(
        rulesOf(
          violations(SendRoomBroadcastDto, { message: '', to: 'u', binary: 'yes', from: 'a b' }),
        ),
      ).toEqual(['binary:isBoolean', 'from:rtcId', 'message:notEmpty', 'to:unknownField']);
    });
  });

  describe('SendRoomUnicastDto', () => {
    it('requires a well-formed to', () => {
      expect(violations(SendRoomUnicastDto, { to: 'user_42', message: 'hi' })).toEqual([]);
      expect(violations(SendRoomUnicastDto, { message: 'hi' })).toEqual([
        expect.objectContaining({ field: 'to', rule: 'rtcId' }),
      ]);
      expect(violations(SendRoomUnicastDto, { to: 'user 42', message: 'hi' })).toEqual([
        expect.objectContaining({
          field: 'to',
          rule: 'rtcId',
          message: expect.stringMatching(/^to must be a string of 1 to 128/),
        }),
      ]);
    });
  });

  describe('SendRoomBatchDto', () => {
    it('accepts a list of ids and a message of at most 20 KB', () => {
      expect(violations(SendRoomBatchDto, { to: ['a', 'b'], message: 'a'.repeat(20_480) })).toEqual(
        [],
      );
      expect(
        violations(SendRoomBatchDto, { to: ['a'], message: base64OfBytes(20_480), binary: true }),
      ).toEqual([]);
    });

    it('refuses a message over 20 KB that a single-user call would take', () => {
      expect(violations(SendRoomBatchDto, { to: ['a'], message: 'a'.repeat(20_481) })).toEqual([
        {
          field: 'message',
          rule: 'maxMessageBytes',
          message: 'message must be at most 20,480 bytes in UTF-8; it is 20,481 bytes',
        },
      ]);
      expect(
        violations(SendRoomBatchDto, { to: ['a'], message: base64OfBytes(20_481), binary: true }),
      ).toEqual([
        expect.objectContaining({
          message: 'message must be at most 20,480 bytes after base64 decoding; it is 20,481 bytes',
        }),
      ]);
    });

    it('refuses an empty list', () => {
      expect(violations(SendRoomBatchDto, { to: [], message: 'hi' })).toEqual([
        expect.objectContaining({ field: 'to', rule: 'arrayNotEmpty' }),
      ]);
    });

    it('refuses a list that is not an array, once', () => {
      expect(rulesOf(violations(SendRoomBatchDto, { to: 'user_1', message: 'hi' }))).toEqual([
        'to:isArray',
      ]);
    });

    it('names the malformed entries in the list violation', () => {
      expect(
        violations(SendRoomBatchDto, { to: ['ok', 'bad id', 'ok2', 7], message: 'hi' }),
      ).toEqual([
        {
          field: 'to',
          rule: 'rtcId',
          message: expect.stringMatching(
            /^to\[1\], to\[3\] must be strings of 1 to 128 characters/,
          ),
        },
      ]);
      const many = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? `u${i}` : `bad ${i}`));
      expect(violations(SendRoomBatchDto, { to: many, message: 'hi' })[0].message).toMatch(
        /^to\[1\], to\[3\], to\[5\], to\[7\], to\[9\] and 5 more must be strings/,
      );
    });

    it('has no maximum list size: the service splits it', () => {
      const to = Array.from({ length: 5_000 }, (_, i) => `u${i}`);
      expect(violations(SendRoomBatchDto, { to, message: 'hi' })).toEqual([]);
    });
  });

  describe('RoomIdParamsDto', () => {
    it.each(['lobby', 'match_17', 'a.b@c-d', 'x'.repeat(128)])('accepts %p', (roomId) => {
      expect(violations(RoomIdParamsDto, { roomId })).toEqual([]);
    });

    it.each(['', 'a room', 'x'.repeat(129), '房间'])('refuses %p, naming roomId', (roomId) => {
      expect(violations(RoomIdParamsDto, { roomId })).toEqual([
        expect.objectContaining({ field: 'roomId', rule: 'rtcId' }),
      ]);
    });
  });
});

describe('expandIdListViolations', () => {
  it('replaces the list violation by one violation per malformed entry', () => {
    const to = ['ok', 'bad id', 'ok', ''];
    const found = violations(SendRoomBatchDto, { to, message: '' });
    const expanded = expandIdListViolations(found, 'to', to);
    expect(expanded).toHaveLength(3);
    expect(expanded).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'message', rule: 'notEmpty' }),
        {
          field: 'to[1]',
          rule: 'rtcId',
          message: expect.stringMatching(/^to\[1\] must be a string of 1 to 128 characters/),
        },
        expect.objectContaining({ field: 'to[3]', rule: 'rtcId' }),
      ]),
    );
  });

  it(`lists at most ${MAX_ENTRY_VIOLATIONS} entries and counts the rest`, () => {
    const to = Array.from({ length: 250 }, () => 'bad id');
    const expanded = expandIdListViolations(
      violations(SendRoomBatchDto, { to, message: 'm' }),
      'to',
      to,
    );
    expect(expanded).toHaveLength(MAX_ENTRY_VIOLATIONS + 1);
    expect(expanded.at(-2)?.field).toBe('to[99]');
    expect(expanded.at(-1)).toEqual({
      field: 'to',
      rule: 'rtcId',
      message: 'to has 150 more malformed ids',
    });
  });

  it('leaves other violations of the field alone', () => {
    const found = violations(SendRoomBatchDto, { to: [], message: 'm' });
    expect(expandIdListViolations(found, 'to', [])).toEqual(found);
  });
});
