import type { IncomingMessage, ServerResponse } from 'node:http';
import { nestsDeeperThan, RtcValidationError } from 'nestjs-volcengine-rtc';
import { MAX_JSON_DEPTH, rejectDeeplyNestedJson } from './json-depth.middleware';

/** `levels` nested arrays (the outermost is level 1) around `1`. */
const arrays = (levels: number): unknown =>
  JSON.parse(`${'['.repeat(levels)}1${']'.repeat(levels)}`);

describe('nestsDeeperThan', () => {
  it.each([
    ['a string', 'x', 0],
    ['null', null, 0],
    ['an empty object', {}, 1],
    ['a list in a body', { to: ['a', 'b'], message: 'hi' }, 2],
    ['objects in a list in an object', { a: [{ b: 1 }, { c: { d: 2 } }] }, 4],
    ['32 arrays', arrays(32), 32],
  ])('measures %s as %i levels', (_, value, levels) => {
    expect(nestsDeeperThan(value, levels)).toBe(false);
    if (levels > 0) expect(nestsDeeperThan(value, levels - 1)).toBe(true);
  });

  it('measures 200,000 levels without overflowing the stack', () => {
    expect(nestsDeeperThan({ to: arrays(200_000) }, MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('rejectDeeplyNestedJson', () => {
  const outcomeOf = (body: unknown): unknown => {
    const next = jest.fn();
    rejectDeeplyNestedJson(
      { body } as IncomingMessage & { body: unknown },
      {} as ServerResponse,
      next,
    );
    return next.mock.calls[0][0];
  };

  it('lets a body up to the limit through', () => {
    expect(outcomeOf({ extra: arrays(MAX_JSON_DEPTH - 1) })).toBeUndefined();
    expect(outcomeOf(undefined)).toBeUndefined();
  });

  it('refuses a deeper one, naming (body) and the limit', () => {
    const error = outcomeOf({ extra: arrays(MAX_JSON_DEPTH) });
    expect(error).toBeInstanceOf(RtcValidationError);
    expect((error as RtcValidationError).violations).toEqual([
      {
        field: '(body)',
        rule: 'maxDepth',
        message: 'the request body must not nest objects and arrays more than 32 levels deep',
      },
    ]);
  });
});
