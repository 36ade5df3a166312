import type { IncomingMessage } from 'node:http';
import { MAX_INPUT_DEPTH, nestsDeeperThan, RtcValidationError } from 'nestjs-volcengine-rtc';
import type { Middleware } from './middleware';

/**
 * The deepest nesting of objects and arrays a body may have, the body itself being level 1: the
 * library's own limit for input (valid bodies nest 2 levels). class-transformer, which the
 * validation pipe runs first, recurses once per level and overflows the stack between 1,000 and
 * 3,000 levels, which was answered 500.
 */
export const MAX_JSON_DEPTH = MAX_INPUT_DEPTH;

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
