import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  ObservableGauge,
  ObservableResult,
  Span,
  Tracer,
} from '@opentelemetry/api';
import type { MessagingAction } from '../rtc-openapi.constants';
import { errorCodeOf, outcomeOf, requestIdOf } from './error-code';
import { OPEN_TELEMETRY_API, OpenTelemetryApi } from './open-telemetry-api';
import {
  RTC_ATTRIBUTES as A,
  RTC_INSTRUMENTATION_SCOPE,
  RTC_METRICS,
  RtcCallOutcome,
  SECONDS_BUCKETS,
} from './telemetry-names';

// Span kinds and status codes of @opentelemetry/api, as numbers: the enums are values, and the
// package may be absent. Stable since API 1.0.
const SPAN_KIND_INTERNAL = 0;
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

/** What the dispatcher records of one call, from its start to its end. */
export interface CallTelemetry {
  /** One wait for budget (before an attempt), in ms. */
  budgetWaited(ms: number): void;
  /** An attempt failed with `error` and the call will try again. */
  retrying(error: unknown): void;
  /** The call ended: `error` is what it threw, `undefined` when it was sent. */
  end(attempts: number, requestId: string | undefined, error?: unknown): void;
}

/** The call record when there is no `@opentelemetry/api`: the dispatcher's cost stays as it was. */
const NO_CALL_TELEMETRY: CallTelemetry = {
  budgetWaited: () => undefined,
  retrying: () => undefined,
  end: () => undefined,
};

/** A span that groups calls (a fan-out, a room batch): its calls run inside it. */
export interface GroupSpan {
  /** Calls `fn(...args)` with this span as the active parent of the spans `fn` starts. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
  /** Ends the span with `attributes`; `error` (what the group threw) sets status ERROR. */
  end(attributes: Attributes, error?: unknown): void;
}

const NO_GROUP_SPAN: GroupSpan = {
  run: (fn, ...args) => fn(...args),
  end: () => undefined,
};

/** The tracer of the module, resolved per span: an SDK registered after the import still counts. */
function tracerOf(api: OpenTelemetryApi): Tracer {
  return api.trace.getTracer(RTC_INSTRUMENTATION_SCOPE);
}

/**
 * Starts a span that groups calls: `RtcFanOut` or `RtcRoomBatch` (see `RTC_SPANS`). The calls
 * made inside `run` are its children when the app registered a context manager (the Node SDK
 * does); without `@opentelemetry/api` it costs nothing.
 */
export function startGroupSpan(name: string, attributes: Attributes): GroupSpan {
  const api = OPEN_TELEMETRY_API;
  if (!api) return NO_GROUP_SPAN;
  const span = tracerOf(api).startSpan(name, { kind: SPAN_KIND_INTERNAL, attributes });
  const parent: Context = api.trace.setSpan(api.context.active(), span);
  return {
    run: (fn, ...args) => api.context.with(parent, fn, undefined, ...args),
    end: (endAttributes, error) => {
      span.setAttributes(endAttributes);
      if (error !== undefined) setError(span, error);
      span.end();
    },
  };
}

function setError(span: Span, error: unknown): void {
  // The class and the code only: an error's message may quote what the upstream said.
  const name = error instanceof Error ? error.name : 'Error';
  span.setStatus({ code: STATUS_ERROR, message: `${name} (${errorCodeOf(error)})` });
}

/** The metric instruments of one module instance. */
interface Instruments {
  readonly calls: Counter;
  readonly callDuration: Histogram;
  readonly budgetWait: Histogram;
  readonly budgetQueued: ObservableGauge;
  readonly retries: Counter;
}

/**
 * Spans and metrics of messaging calls, through `@opentelemetry/api` only: no-ops until the app
 * registers an SDK, and nothing at all when the package is absent.
 *
 * The meter is taken when the module is created (the API binds a meter to the provider
 * registered at that time), so the app registers its SDK before it creates the Nest app.
 */
export class MessagingTelemetry {
  private readonly api = OPEN_TELEMETRY_API;
  private readonly instruments?: Instruments;
  private readonly observeQueued?: (result: ObservableResult) => void;

  /** @param queued callers waiting for budget right now, for `rtc.messaging.budget.queued` */
  constructor(queued: () => number) {
    if (!this.api) return;
    const meter = this.api.metrics.getMeter(RTC_INSTRUMENTATION_SCOPE);
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: [...SECONDS_BUCKETS] } };
    this.instruments = {
      calls: meter.createCounter(RTC_METRICS.calls, {
        description: 'Messaging calls that ended, by action, outcome and error code',
        unit: '{call}',
      }),
      callDuration: meter.createHistogram(RTC_METRICS.callDuration, {
        description: 'Duration of a messaging call, budget waits and retries included',
        ...seconds,
      }),
      budgetWait: meter.createHistogram(RTC_METRICS.budgetWait, {
        description: 'Time one attempt waited for the shared call budget',
        ...seconds,
      }),
      budgetQueued: meter.createObservableGauge(RTC_METRICS.budgetQueued, {
        description: 'Callers waiting for the shared call budget',
        unit: '{caller}',
      }),
      retries: meter.createCounter(RTC_METRICS.retries, {
        description: 'Attempts that failed and were retried, by action and error code',
        unit: '{attempt}',
      }),
    };
    this.observeQueued = (result) => result.observe(queued());
    this.instruments.budgetQueued.addCallback(this.observeQueued);
  }

  /**
   * Starts recording a call: a CLIENT span named after `action`, child of the active span.
   * @param recipients the `To` list's length of a batch call
   */
  startCall(action: MessagingAction, appId: string, recipients?: number): CallTelemetry {
    const { api, instruments } = this;
    if (!api || !instruments) return NO_CALL_TELEMETRY;
    const attributes: Attributes = { [A.appId]: appId, [A.action]: action };
    if (recipients !== undefined) attributes[A.recipients] = recipients;
    const span = tracerOf(api).startSpan(action, { kind: SPAN_KIND_CLIENT, attributes });
    const started = performance.now();
    let budgetWaitMs = 0;
    return {
      budgetWaited: (ms) => {
        budgetWaitMs += ms;
        instruments.budgetWait.record(ms / 1000);
      },
      retrying: (error) => {
        instruments.retries.add(1, { [A.action]: action, [A.errorCode]: errorCodeOf(error) });
      },
      end: (attempts, requestId, error) => {
        const outcome: RtcCallOutcome = error === undefined ? 'sent' : outcomeOf(error);
        // Separate objects: an SDK may keep the one it was given for a new series.
        instruments.callDuration.record((performance.now() - started) / 1000, {
          [A.action]: action,
          [A.outcome]: outcome,
        });
        const labels: Attributes = { [A.action]: action, [A.outcome]: outcome };
        const ended: Attributes = {
          [A.outcome]: outcome,
          [A.attempts]: attempts,
          [A.budgetWaitMs]: Math.round(budgetWaitMs),
        };
        const id = error === undefined ? requestId : requestIdOf(error);
        if (id) ended[A.requestId] = id;
        if (error !== undefined) {
          const code = errorCodeOf(error);
          labels[A.errorCode] = code;
          ended[A.errorCode] = code;
          setError(span, error);
        }
        instruments.calls.add(1, labels);
        span.setAttributes(ended);
        span.end();
      },
    };
  }

  /** Stops observing the budget queue (the module is closing). */
  close(): void {
    if (this.observeQueued) this.instruments?.budgetQueued.removeCallback(this.observeQueued);
  }
}
