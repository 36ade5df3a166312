import { Logger, LoggerService } from '@nestjs/common';
import { RTC_LOG_CONTEXT } from './telemetry-names';

/** The three levels the module logs at; every library log line goes through one. */
export interface RtcLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const SILENT: RtcLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The module's logger from its `logger` option: Nest's `Logger` with context `RtcMessaging` by
 * default (so `app.useLogger(...)`, e.g. nestjs-pino, receives the lines), nothing with `false`,
 * or the given `LoggerService`, called with the context as its last argument as Nest does. A Nest
 * `Logger` instance keeps the context it was made with.
 */
export function resolveLogger(option: LoggerService | false | undefined): RtcLogger {
  if (option === false) return SILENT;
  const target = option ?? new Logger(RTC_LOG_CONTEXT);
  if (target instanceof Logger) {
    return {
      log: (message) => target.log(message),
      warn: (message) => target.warn(message),
      error: (message) => target.error(message),
    };
  }
  return {
    log: (message) => void target.log(message, RTC_LOG_CONTEXT),
    warn: (message) => void target.warn(message, RTC_LOG_CONTEXT),
    error: (message) => void target.error(message, RTC_LOG_CONTEXT),
  };
}

/** What `logger` must be, for the option's validation; `undefined` when it is fine. */
export function loggerOptionProblem(option: unknown): string | undefined {
  if (option === undefined || option === false) return undefined;
  const service = option as Partial<Record<'log' | 'warn' | 'error', unknown>>;
  const isService =
    typeof option === 'object' &&
    option !== null &&
    typeof service.log === 'function' &&
    typeof service.warn === 'function' &&
    typeof service.error === 'function';
  return isService
    ? undefined
    : 'logger must be a LoggerService (with log, warn and error methods) or false';
}
