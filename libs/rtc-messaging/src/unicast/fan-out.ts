import { setMaxListeners } from 'node:events';
import { FieldViolation, RtcValidationError } from '../errors';
import { RTC_ATTRIBUTES, RTC_SPANS, startGroupSpan } from '../telemetry';
import type {
  FanOutFailureSample,
  FanOutOptions,
  FanOutProgress,
  FanOutResult,
  FanOutSend,
  FanOutSummary,
} from './fan-out.types';
import { describeFailure } from './send-status';

/** Calls in flight by default: well under the budget's 500/s, enough to hide a 50 ms round trip. */
export const DEFAULT_FAN_OUT_CONCURRENCY = 32;

/**
 * Most calls in flight. More would only wait in the call budget, whose queue holds 1,000 callers
 * by default and refuses the rest.
 */
export const MAX_FAN_OUT_CONCURRENCY = 1_000;

/** Results between two `onProgress` calls by default. */
export const DEFAULT_PROGRESS_EVERY = 1_000;

/** Refused (and unknown) recipients a summary keeps by default. */
export const DEFAULT_MAX_SAMPLES = 100;

const isInteger = (value: unknown, min: number, max = Infinity): boolean =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * What is wrong with the arguments of a fan-out, before anything is pulled or sent: `[]` when
 * nothing is. Kept apart from {@link runFanOut} so a caller can report these together with its
 * own validation; `recipientsField` is what that caller calls the recipients (default
 * `recipients`).
 */
export function fanOutArgumentViolations(
  recipients: unknown,
  options: FanOutOptions = {},
  recipientsField = 'recipients',
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const add = (field: string, rule: string, message: string) =>
    violations.push({ field, rule, message });
  const field = recipientsField;
  if (typeof recipients === 'string') {
    // A string is iterable, and would be sent to character by character.
    add(field, 'isIterable', `${field} must be an iterable of user ids, not one string`);
  } else if (!isIterable(recipients) && !isAsyncIterable(recipients)) {
    add(field, 'isIterable', `${field} must be an iterable or async iterable of user ids`);
  }
  const { concurrency, progressEvery, maxSamples, signal, onResult, onProgress } = options;
  if (concurrency !== undefined && !isInteger(concurrency, 1, MAX_FAN_OUT_CONCURRENCY)) {
    add(
      'concurrency',
      'isInt',
      `concurrency must be an integer from 1 to ${MAX_FAN_OUT_CONCURRENCY.toLocaleString('en-US')}`,
    );
  }
  if (progressEvery !== undefined && !isInteger(progressEvery, 1)) {
    add('progressEvery', 'isInt', 'progressEvery must be an integer of at least 1');
  }
  if (maxSamples !== undefined && !isInteger(maxSamples, 0)) {
    add('maxSamples', 'isInt', 'maxSamples must be an integer of at least 0');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    add('signal', 'isAbortSignal', 'signal must be an AbortSignal');
  }
  if (onResult !== undefined && typeof onResult !== 'function') {
    add('onResult', 'isFunction', 'onResult must be a function');
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    add('onProgress', 'isFunction', 'onProgress must be a function');
  }
  return violations;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as Iterable<unknown> | null)?.[Symbol.iterator] === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** Counts and bounded samples: all a run keeps, however many recipients it sees. */
class FanOutTally {
  sent = 0;
  refused = 0;
  unknown = 0;
  readonly refusals: FanOutFailureSample[] = [];
  readonly unknowns: FanOutFailureSample[] = [];

  constructor(private readonly maxSamples: number) {}

  get done(): number {
    return this.sent + this.refused + this.unknown;
  }

  add({ to, index, status, reason = '' }: FanOutResult): void {
    this[status]++;
    const samples =
      status === 'refused' ? this.refusals : status === 'unknown' ? this.unknowns : undefined;
    if (samples && samples.length < this.maxSamples) samples.push({ to, index, reason });
  }

  progress(): FanOutProgress {
    return { done: this.done, sent: this.sent, refused: this.refused, unknown: this.unknown };
  }
}

/** Marks a pull that the signal cut short. */
const ABORTED = Symbol('aborted');

/**
 * Sends to every recipient of `recipients` through `send`, at most `concurrency` calls at a time,
 * and streams each outcome to `onResult`. It holds only the calls in flight, the counts and the
 * bounded samples: the next recipient is pulled from the iterable only when a slot frees, so a
 * list (or a database cursor) of any length runs in constant memory.
 *
 * A failed recipient never stops the others: a rejection of `send` is `unknown` when the error's
 * `outcome` is `unknown` (it may have been delivered), otherwise `refused`.
 *
 * Cancelling (`signal`) stops pulling; calls in flight complete and are reported. Every
 * recipient that was not reported through `onResult` was not sent. An iterable that throws, or
 * an `onResult` that throws, also stops the run; the error is rethrown once the calls in flight
 * have been reported.
 *
 * @throws RtcValidationError when the arguments are malformed (nothing is pulled)
 *
 * @example
 * const summary = await runFanOut(
 *   userIdsFromCursor(), // any Iterable<string> or AsyncIterable<string>
 *   (to, _index, signal) => rooms.sendToUser('lobby', to, 'hi', { signal }),
 *   { concurrency: 8, onResult: (r) => audit.write(r) },
 * );
 */
export async function runFanOut(
  recipients: Iterable<string> | AsyncIterable<string>,
  send: FanOutSend,
  options: FanOutOptions = {},
): Promise<FanOutSummary> {
  const violations = fanOutArgumentViolations(recipients, options);
  if (typeof send !== 'function') {
    violations.push({ field: 'send', rule: 'isFunction', message: 'send must be a function' });
  }
  if (violations.length > 0) throw new RtcValidationError(violations);

  const {
    concurrency = DEFAULT_FAN_OUT_CONCURRENCY,
    progressEvery = DEFAULT_PROGRESS_EVERY,
    maxSamples = DEFAULT_MAX_SAMPLES,
    signal: callerSignal,
    onResult,
    onProgress,
  } = options;
  // Every call in flight listens on the run's signal (budget and retry waits). It fires when the
  // caller's does, and when the run stops on an error, so that calls still waiting for budget
  // give up instead of going out after the run has ended. Sized for them all, it also keeps Node
  // from reporting a listener leak.
  const run = runSignal(callerSignal, concurrency);
  const signal = run.signal;
  const started = performance.now();
  const tally = new FanOutTally(maxSamples);
  const source = openSource(recipients, signal);
  // Every recipient's call is a child of this span (see startGroupSpan).
  const span = startGroupSpan(RTC_SPANS.fanOut, {});

  let active = 0;
  let reportedProgressAt = 0;
  // One waiter (the pulling loop) at most: a plain resolver, not Promise.race over the calls in
  // flight, which would add a reaction to each of them per pull.
  let slotFreed: (() => void) | undefined;
  const slot = () => new Promise<void>((resolve) => (slotFreed = resolve));
  let stopError: { readonly error: unknown } | undefined;
  const stop = (error: unknown) => {
    if (stopError) return;
    stopError = { error };
    run.stop(error);
  };

  const attempt = async (to: string, index: number): Promise<void> => {
    let result: FanOutResult;
    try {
      const { requestId } = await span.run(send, to, index, signal);
      result =
        requestId === undefined
          ? { to, index, status: 'sent' }
          : { to, index, status: 'sent', requestId };
    } catch (error) {
      result = { to, index, ...describeFailure(error, signal) };
    }
    tally.add(result);
    try {
      await onResult?.(result);
      if (onProgress && tally.done % progressEvery === 0) {
        reportedProgressAt = tally.done;
        onProgress(tally.progress());
      }
    } catch (error) {
      stop(error);
    }
    active--;
    const wake = slotFreed;
    slotFreed = undefined;
    wake?.();
  };

  let exhausted = false;
  try {
    for (let index = 0; !signal.aborted;) {
      while (active >= concurrency) await slot();
      if (signal.aborted) break;
      const next = await source.pull();
      if (next === ABORTED) break;
      if (next.done) {
        exhausted = true;
        break;
      }
      // Pulled while the signal fired: not attempted, so not reported.
      if (signal.aborted) break;
      active++;
      void attempt(next.value, index++);
    }
  } catch (error) {
    // The iterable threw; by the iterator protocol it is finished, so it is not closed.
    exhausted = true;
    stop(error);
  }
  while (active > 0) await slot();
  run.unlink();
  if (!exhausted) await source.close();
  span.end(
    {
      [RTC_ATTRIBUTES.recipients]: tally.done,
      [RTC_ATTRIBUTES.sent]: tally.sent,
      [RTC_ATTRIBUTES.refused]: tally.refused,
      [RTC_ATTRIBUTES.unknown]: tally.unknown,
      [RTC_ATTRIBUTES.cancelled]: signal.aborted,
    },
    stopError?.error,
  );
  if (stopError) throw stopError.error;

  if (onProgress && reportedProgressAt !== tally.done) onProgress(tally.progress());
  return {
    ...tally.progress(),
    refusals: tally.refusals,
    unknowns: tally.unknowns,
    cancelled: signal.aborted,
    elapsedMs: Math.round(performance.now() - started),
  };
}

interface RecipientSource {
  /** The next recipient, or {@link ABORTED} when the signal fired while an async pull waited. */
  pull(): Promise<IteratorResult<string> | typeof ABORTED>;
  /** Lets the iterable clean up (a generator's `finally`, a cursor) after an early stop. */
  close(): Promise<void>;
}

function openSource(
  recipients: Iterable<string> | AsyncIterable<string>,
  signal: AbortSignal | undefined,
): RecipientSource {
  if (!isAsyncIterable(recipients)) {
    const iterator = recipients[Symbol.iterator]();
    return {
      pull: async () => iterator.next(),
      close: async () => {
        try {
          iterator.return?.();
        } catch {
          // Cleanup is best effort: the run's outcome is already decided.
        }
      },
    };
  }
  const iterator = recipients[Symbol.asyncIterator]();
  // Set when the signal cut a pull short: that pull may never settle (a stalled stream).
  let abandoned = false;
  return {
    pull: () => {
      if (!signal) return iterator.next();
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          abandoned = true;
          resolve(ABORTED);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        iterator.next().then(
          (result) => {
            signal.removeEventListener('abort', onAbort);
            resolve(result);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
          },
        );
      });
    },
    close: async () => {
      // An async generator runs `return()` only after its pending `next()` settles; waiting for
      // it after an abandoned pull could hang the run, so then it is only requested.
      const closing = Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
      if (!abandoned) await closing;
    },
  };
}

/**
 * A run's signal: it aborts with `parent` (the caller's, if any) or on `stop`, has room for
 * `listeners` listeners, and is unlinked from `parent` once the run ends.
 */
function runSignal(
  parent: AbortSignal | undefined,
  listeners: number,
): { readonly signal: AbortSignal; stop(reason: unknown): void; unlink(): void } {
  const controller = new AbortController();
  // Room for every call in flight plus the run's own listeners.
  setMaxListeners(listeners + 10, controller.signal);
  const forward = () => controller.abort(parent?.reason);
  if (parent?.aborted) forward();
  else parent?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    stop: (reason) => controller.abort(reason),
    unlink: () => parent?.removeEventListener('abort', forward),
  };
}
