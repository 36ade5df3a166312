import type { IncomingMessage } from 'node:http';
import { RtcValidationError } from 'nestjs-volcengine-rtc';
import type { Middleware } from './middleware';

/**
 * The deepest nesting of objects and arrays a body may have, the body itself being level 1. Valid
 * bodies nest 2 levels (a list in the body); class-transformer, which the validation pipe runs
 * first, recurses once per level and overflows the stack between 1,000 and 3,000 levels, which
 * was answered 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `value` nests objects and arrays more than `maxDepth` levels deep. Walks with a list of
 * its own instead of recursing, so any depth is safe to measure, and stops at the first value too
 * deep: the work is bounded by the size of the body, which the parser has bounded.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { value: object; depth: number }[] = [];
  if (typeof value === 'object' && value !== null) pending.push({ value, depth: 1 });
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value)) {
      if (typeof child === 'object' && child !== null) {
        pending.push({ value: child as object, depth: next.depth + 1 });
      }
    }
  }
  return false;
}

/**
 * Refuses a parsed body nested deeper than {@link MAX_JSON_DEPTH} with a 400 naming `(body)`,
 * before anything recurses into it (validation, the recipient list's checks). Registered right
 * after the JSON parser, so every route is covered, whatever its pipes.
 *
 * @example
 * app.useBodyParser('json', jsonBodyParserOptions(limit));
 * app.use(rejectDeeplyNestedJson);
 */
export const rejectDeeplyNestedJson: Middleware<IncomingMessage & { body?: unknown }> = (
  request,
  _response,
  next,
) => {
  if (!nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
    next();
    return;
  }
  next(
    new RtcValidationError([
      {
        field: '(body)',
        rule: 'maxDepth',
        message: `the request body must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
      },
    ]),
  );
};
