import type { Attributes, Counter, Histogram, Span } from '@opentelemetry/api';
import { OPEN_TELEMETRY_API } from '../telemetry/open-telemetry-api';
import {
  RTC_ATTRIBUTES as A,
  RTC_INSTRUMENTATION_SCOPE,
  RTC_METRICS,
  SECONDS_BUCKETS,
} from '../telemetry/telemetry-names';
import type { RtcInboundOutcome } from './rtc-inbound.types';

// Span kind and status code of @opentelemetry/api, as numbers (the package may be absent).
const SPAN_KIND_SERVER = 1;
const STATUS_ERROR = 2;

/**
 * What a receiver records of one delivery, from its arrival to its answer. Its functions need no
 * `this`: `handlerRan` is handed to the de-duplicator as it is.
 */
export interface DeliveryTelemetry {
  /** The delivery named its type (and event id): known once its body was read. */
  readonly identify: (eventType: string, eventId?: string) => void;
  /** The handler ran for `ms` and ended `handled` or `failed`. */
  readonly handlerRan: (ms: number, outcome: 'handled' | 'failed') => void;
  /** The delivery was answered with `outcome`. */
  readonly end: (outcome: RtcInboundOutcome) => void;
}

const NO_DELIVERY_TELEMETRY: DeliveryTelemetry = {
  identify: () => undefined,
  handlerRan: () => undefined,
  end: () => undefined,
};

/**
 * Spans and metrics of inbound deliveries, through `@opentelemetry/api` only (as
 * `MessagingTelemetry` for outbound calls): a SERVER span per delivery, the counter
 * `rtc.inbound.deliveries` and the histogram `rtc.inbound.handler.duration` (seconds, as the
 * outbound call duration). Types outside `typeLabel`'s bounded set count as `other`.
 */
export class InboundTelemetry {
  private readonly api = OPEN_TELEMETRY_API;
  private readonly deliveries?: Counter;
  private readonly handlerDuration?: Histogram;

  /** @param typeLabel the metric label of a type: itself if bounded (has a handler), else `other` */
  constructor(private readonly typeLabel: (eventType: string | undefined) => string) {
    if (!this.api) return;
    const meter = this.api.metrics.getMeter(RTC_INSTRUMENTATION_SCOPE);
    this.deliveries = meter.createCounter(RTC_METRICS.inboundDeliveries, {
      description:
        'Deliveries RTC made to the app (events and client messages), by type and outcome',
      unit: '{delivery}',
    });
    this.handlerDuration = meter.createHistogram(RTC_METRICS.inboundHandlerDuration, {
      description: 'Duration of one run of an inbound handler',
      unit: 's',
      advice: { explicitBucketBoundaries: [...SECONDS_BUCKETS] },
    });
  }

  /** Starts recording a delivery: a SERVER span named `spanName`. */
  startDelivery(spanName: string): DeliveryTelemetry {
    const { api, deliveries, handlerDuration } = this;
    if (!api || !deliveries || !handlerDuration) return NO_DELIVERY_TELEMETRY;
    const span: Span = api.trace
      .getTracer(RTC_INSTRUMENTATION_SCOPE)
      .startSpan(spanName, { kind: SPAN_KIND_SERVER });
    let type: string | undefined;
    return {
      identify: (eventType, eventId) => {
        type = eventType;
        const attributes: Attributes = { [A.eventType]: eventType };
        if (eventId !== undefined) attributes[A.eventId] = eventId;
        span.setAttributes(attributes);
      },
      handlerRan: (ms, outcome) => {
        handlerDuration.record(ms / 1000, {
          [A.eventType]: this.typeLabel(type),
          [A.outcome]: outcome,
        });
      },
      end: (outcome) => {
        deliveries.add(1, { [A.eventType]: this.typeLabel(type), [A.outcome]: outcome });
        span.setAttribute(A.outcome, outcome);
        if (outcome === 'failed' || outcome === 'timed_out') {
          span.setStatus({ code: STATUS_ERROR, message: outcome });
        }
        span.end();
      },
    };
  }
}
