import { RtcError } from './rtc-error';

/**
 * The call budget could not say whether a call may go out (its shared store, e.g. Redis, failed or
 * the budget was closed), and the budget is set to fail closed. The message was not sent.
 *
 * `cause` holds the store's error for diagnosis; a URL with credentials in its text is redacted.
 */
export class RtcBudgetUnavailableError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(detail: string, options?: { cause?: unknown }) {
    const cause = options && 'cause' in options ? redactCause(options.cause) : undefined;
    const because = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      `RTC call budget unavailable (${redactCredentials(detail)}${because}); the message was not sent`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** `scheme://user:password@host` → `scheme://***@host`, wherever it appears in the text. */
function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/**
 * Store errors rarely hold a connection URL, but one that does must not carry the password into
 * logs. Such an error is replaced by a copy with the URL redacted; any other is kept as it is, so
 * its own fields (code, errno, command) stay available.
 */
function redactCause(cause: unknown): unknown {
  if (!(cause instanceof Error)) return cause;
  const message = redactCredentials(cause.message);
  if (message === cause.message && redactCredentials(cause.stack ?? '') === (cause.stack ?? '')) {
    return cause;
  }
  const copy = new Error(message);
  copy.name = cause.name;
  copy.stack = cause.stack === undefined ? undefined : redactCredentials(cause.stack);
  return copy;
}
