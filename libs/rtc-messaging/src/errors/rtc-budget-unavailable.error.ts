import { RtcError } from './rtc-error';

/**
 * The call budget could not say whether a call may go out (its shared store, e.g. Redis, failed or
 * did not answer, or the budget was closed), and it fails closed. The message was not sent.
 *
 * `cause` holds the store's error for diagnosis, stripped of anything that may hold a password.
 */
export class RtcBudgetUnavailableError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(detail: string, options?: { cause?: unknown }) {
    const cause = options && 'cause' in options ? redactSecrets(options.cause) : undefined;
    const because = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      `RTC call budget unavailable (${redactCredentials(detail)}${because}); the message was not sent`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** `scheme://user:password@host` → `scheme://***@host`, wherever it appears in the text. */
function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s@]*@/gi, '$1***@');
}

/** Commands whose arguments are credentials; ioredis attaches a failed command to its error. */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate']);

/**
 * Store errors rarely hold a secret, but one that could (a connection URL with a password in its
 * text, an ioredis error for AUTH carrying its arguments) is replaced by a plain copy with the URL
 * redacted. Any other is kept as it is, so its own fields (code, errno, command) stay available.
 * Exported for the budget's state callback, which hands store errors to loggers too.
 */
export function redactSecrets(cause: unknown): unknown {
  if (!(cause instanceof Error)) return cause;
  const command = (cause as { command?: { name?: unknown } }).command;
  const secretCommand =
    typeof command?.name === 'string' && SECRET_COMMANDS.has(command.name.toLowerCase());
  const stack = cause.stack ?? '';
  if (
    !secretCommand &&
    redactCredentials(cause.message) === cause.message &&
    redactCredentials(stack) === stack
  ) {
    return cause;
  }
  const copy = new Error(redactCredentials(cause.message));
  copy.name = cause.name;
  copy.stack = redactCredentials(stack);
  return copy;
}
