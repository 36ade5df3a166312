/**
 * Answer with an error envelope instead of processing the call.
 *
 * `status` and `codeN` default to the gateway's values when `code` is one of `GATEWAY_ERRORS`
 * (otherwise 500 and none).
 */
export interface ErrorFault {
  readonly type: 'error';
  readonly code: string;
  readonly status?: number;
  readonly codeN?: number;
  readonly message?: string;
  /** Adds a `Retry-After: <seconds>` header. */
  readonly retryAfterSeconds?: number;
  /**
   * Record the message as accepted before answering the error, as when an
   * `InternalServiceTimeout` hides a delivery that happened anyway.
   */
  readonly deliver?: boolean;
}

/** Destroy the connection without answering. */
export interface ResetFault {
  readonly type: 'reset';
  /** Record the message as accepted first: the reset came after the request was processed. */
  readonly deliver?: boolean;
}

/** Process the call normally, but answer only after `ms` milliseconds. */
export interface LatencyFault {
  readonly type: 'latency';
  readonly ms: number;
}

/**
 * Answer an HTML error page instead of the OpenAPI envelope, as a load balancer or proxy in front
 * of the gateway does.
 */
export interface HtmlPageFault {
  readonly type: 'html-page';
  /** HTTP status of the page; default 502. */
  readonly status?: number;
  /** Record the message as accepted first: the proxy forwarded the call, then lost the answer. */
  readonly deliver?: boolean;
}

/**
 * Process the call normally, but answer a success with this `Result` instead of
 * `{ Message: 'Success' }`: e.g. `null`, a string, or `undefined` to leave `Result` out.
 * Errors (bad fields, rate limit) are answered as usual.
 */
export interface ResultFault {
  readonly type: 'result';
  readonly result: unknown;
}

/** Misbehaviour the emulator can be told to show. */
export type EmulatorFault = ErrorFault | ResetFault | LatencyFault | HtmlPageFault | ResultFault;

/** Which calls a fault hits and how many. */
export interface InjectFaultOptions {
  /** How many matching calls the fault hits; default 1, `Infinity` until `clearFaults()`. */
  readonly times?: number;
  /** Only calls of this action (e.g. `'SendUnicast'`); default any action. */
  readonly action?: string;
}

interface QueuedFault {
  readonly fault: EmulatorFault;
  readonly action: string | undefined;
  remaining: number;
}

/** Injected faults, consumed in injection order by the calls they match. */
export class FaultQueue {
  private readonly queue: QueuedFault[] = [];

  /** Queues `fault`; throws a `RangeError` for a `times` that is not a positive integer or Infinity. */
  add(fault: EmulatorFault, options: InjectFaultOptions = {}): void {
    const times = options.times ?? 1;
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError(
        `injectFault: times must be a positive integer or Infinity, got ${times}`,
      );
    }
    if (fault.type === 'latency' && !(fault.ms >= 0)) {
      throw new RangeError(`injectFault: latency ms must be >= 0, got ${fault.ms}`);
    }
    if (fault.type === 'html-page' && fault.status !== undefined) {
      const { status } = fault;
      if (!(Number.isInteger(status) && status >= 100 && status <= 599)) {
        throw new RangeError(
          `injectFault: html-page status must be an HTTP status (100-599), got ${status}`,
        );
      }
    }
    this.queue.push({ fault, action: options.action, remaining: times });
  }

  /** The first queued fault matching `action`, counting this call against its `times`. */
  take(action: string): EmulatorFault | undefined {
    // Fast path: benchmarks run with no faults at all.
    if (this.queue.length === 0) return undefined;
    const index = this.queue.findIndex((q) => q.action === undefined || q.action === action);
    if (index === -1) return undefined;
    const queued = this.queue[index];
    if (--queued.remaining <= 0) this.queue.splice(index, 1);
    return queued.fault;
  }

  /** How many faults are still queued. */
  get size(): number {
    return this.queue.length;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.queue.length = 0;
  }
}
