/**
 * The names the module's spans, metrics and logs use, in one place: dashboards and alerts depend
 * on them, so they change only with a major version.
 */

/** Instrumentation scope of the tracer and the meter. */
export const RTC_INSTRUMENTATION_SCOPE = 'nestjs-volcengine-rtc';

/** Context of the module's log lines (Nest's `Logger` context, or the argument to a `LoggerService`). */
export const RTC_LOG_CONTEXT = 'RtcMessaging';

/** Attribute names of spans and metrics. */
export const RTC_ATTRIBUTES = {
  /** The call's AppId. Spans only. */
  appId: 'rtc.app_id',
  /** `SendUnicast`, `SendRoomUnicast`, `SendBroadcast` or `BatchSendRoomUnicast`. */
  action: 'rtc.action',
  /** The upstream's `ResponseMetadata.RequestId`, when it answered one. Spans only. */
  requestId: 'rtc.request_id',
  /** `sent`, `not_delivered` or `unknown` (see {@link RtcCallOutcome}). */
  outcome: 'rtc.outcome',
  /** Attempts the call took, retries included. Spans only. */
  attempts: 'rtc.attempts',
  /** Time the call waited for the shared budget, summed over its attempts, in ms. Spans only. */
  budgetWaitMs: 'rtc.budget_wait_ms',
  /** Why the call (or an attempt) failed: the upstream's `Code`, or the module's own (see `errorCodeOf`). */
  errorCode: 'rtc.error_code',
  /** Recipients of a batch call, a room batch or a fan-out. Spans only. */
  recipients: 'rtc.recipients',
  /** Recipients a room batch or a fan-out sent to. Spans only. */
  sent: 'rtc.sent',
  /** Recipients a room batch or a fan-out surely did not deliver to. Spans only. */
  refused: 'rtc.refused',
  /** Recipients a room batch or a fan-out may have delivered to. Spans only. */
  unknown: 'rtc.unknown',
  /** Whether a room batch or a fan-out was cancelled. Spans only. */
  cancelled: 'rtc.cancelled',
  /**
   * What RTC delivered: an event's `EventType`, or `ClientMessage`. On the inbound metrics, a
   * type without a handler counts as `other`, so the series stay bounded.
   */
  eventType: 'rtc.event_type',
  /** An event's `EventId`. Spans only. */
  eventId: 'rtc.event_id',
} as const;

/** Names of the metric instruments. */
export const RTC_METRICS = {
  /** Counter of finished calls; attributes `rtc.action`, `rtc.outcome`, `rtc.error_code` on failure. */
  calls: 'rtc.messaging.calls',
  /** Histogram of a call's duration, budget wait and retries included, in s; `rtc.action`, `rtc.outcome`. */
  callDuration: 'rtc.messaging.call.duration',
  /** Histogram of one wait for the shared budget (one per attempt), in s. */
  budgetWait: 'rtc.messaging.budget.wait',
  /** Observable gauge of the callers waiting for budget right now. */
  budgetQueued: 'rtc.messaging.budget.queued',
  /** Counter of retried attempts; attributes `rtc.action`, `rtc.error_code` of the failed attempt. */
  retries: 'rtc.messaging.retries',
  /** Counter of inbound deliveries (events and client messages); `rtc.event_type`, `rtc.outcome`. */
  inboundDeliveries: 'rtc.inbound.deliveries',
  /** Histogram of one handler run, in s; `rtc.event_type`, `rtc.outcome` (`handled` or `failed`). */
  inboundHandlerDuration: 'rtc.inbound.handler.duration',
} as const;

/** Names of the spans that group several calls; each call is a child span named after its action. */
export const RTC_SPANS = {
  /** `UnicastService.sendToMany` and `runFanOut`: one child per recipient's call. */
  fanOut: 'RtcFanOut',
  /** `RoomMessagingService.sendToUsers`: one `BatchSendRoomUnicast` child per chunk of 600. */
  roomBatch: 'RtcRoomBatch',
  /** One delivery of an event callback (SERVER span): `rtc.event_type`, `rtc.event_id`, `rtc.outcome`. */
  inboundEvent: 'RtcInboundEvent',
  /** One client message (SERVER span): `rtc.event_type` = `ClientMessage`, `rtc.outcome`. */
  inboundClientMessage: 'RtcInboundClientMessage',
} as const;

/** `rtc.event_type` of a client message, and of a type outside the bounded set on metrics. */
export const RTC_INBOUND_TYPES = { clientMessage: 'ClientMessage', other: 'other' } as const;

/**
 * What became of a call, as `rtc.outcome`: `sent` (the upstream accepted it), `not_delivered`
 * (it surely was not), `unknown` (it may have been: see `RtcUnknownOutcomeError`).
 */
export type RtcCallOutcome = 'sent' | 'not_delivered' | 'unknown';

/**
 * Bucket boundaries of the second-valued histograms. The SDK's defaults (0 to 10,000) suit
 * milliseconds; in seconds they would put every call in the first two buckets. These cover a
 * fast local call (5 ms) to a budget wait behind a long backlog (a minute).
 */
export const SECONDS_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
