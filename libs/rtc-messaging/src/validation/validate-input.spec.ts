import { RtcValidationError } from '../errors';
import { SendRoomBatchDto } from '../room/room-message.dto';
import { SendFanOutDto } from '../unicast/fan-out.dto';
import { SendUnicastDto } from '../unicast/send-unicast.dto';
import { MAX_INPUT_DEPTH, validateInput } from './validate-input';

/** `{ [key]: { [key]: … } }`, `levels` deep. */
function nested(levels: number, key = 'a'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
}

describe('validateInput', () => {
  it.each([
    ['an unknown field', (deep: unknown) => ({ to: 'u', message: 'm', extra: deep })],
    ['a known field', (deep: unknown) => ({ to: deep, message: 'm' })],
    ['an array', (deep: unknown) => ({ to: 'u', message: 'm', extra: [[[deep]]] })],
  ])(
    'refuses input nested 200,000 levels deep in %s with a violation, not a stack overflow',
    (_, input) => {
      const error = (() => {
        try {
          validateInput(SendUnicastDto, input(nested(200_000)));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(RtcValidationError);
      expect((error as RtcValidationError).violations).toEqual([
        {
          field: '(body)',
          rule: 'maxDepth',
          message: `the input must not nest deeper than ${MAX_INPUT_DEPTH} levels`,
        },
      ]);
    },
  );

  it('still names the fields of input nested within the bound', () => {
    expect(() =>
      validateInput(SendUnicastDto, { to: 'u', message: 'm', extra: nested(10) }),
    ).toThrow('extra is not a known field');
  });

  it('says "input", not "message", in its error text', () => {
    expect(() => validateInput(SendUnicastDto, { to: 'u' })).toThrow(/^Invalid input: /);
  });

  it.each([
    ['a fan-out', 'user_1', SendFanOutDto],
    ['a fan-out', 42, SendFanOutDto],
    ['a room batch', 'user_1', SendRoomBatchDto],
  ])(
    'says only "must be an array" of a list that is not one (%s, to: %p)',
    (_, to, dto: new () => object) => {
      let violations: unknown;
      try {
        validateInput(dto, { to, message: 'm' });
      } catch (error) {
        violations = (error as RtcValidationError).violations;
      }
      expect(violations).toEqual([
        { field: 'to', rule: 'isArray', message: 'to must be an array' },
      ]);
    },
  );
});
