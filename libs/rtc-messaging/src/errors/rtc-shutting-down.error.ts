import { RtcError } from './rtc-error';

/**
 * The application is shutting down: the module finishes the calls already in flight (within
 * `shutdownGraceMs`) and refuses new ones. The message was not sent; send it from an instance
 * that is not stopping.
 */
export class RtcShuttingDownError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor() {
    super('RTC messaging is shutting down; the message was not sent');
  }
}
