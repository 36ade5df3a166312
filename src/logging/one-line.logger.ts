import { ConsoleLogger } from '@nestjs/common';

const STACK = /\n[ \t]+at /;

/** An error as `Name: message`; anything else as it is. */
function withoutStack(value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

/**
 * Nest's console logger, minus stack traces: Nest logs an error thrown while the app starts as
 * the whole error object. One line per event is what this app promises; a stack shows the app's
 * internals to whoever reads the logs and helps no operator.
 */
export class OneLineLogger extends ConsoleLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    super.error(
      withoutStack(message),
      ...rest.filter((part) => !(typeof part === 'string' && STACK.test(part))).map(withoutStack),
    );
  }

  override fatal(message: unknown, ...rest: unknown[]): void {
    super.fatal(
      withoutStack(message),
      ...rest.filter((part) => !(typeof part === 'string' && STACK.test(part))).map(withoutStack),
    );
  }
}
