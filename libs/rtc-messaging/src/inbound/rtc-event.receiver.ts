import type { FieldViolation } from '../errors';
import type { RtcLogger } from '../telemetry/rtc-logger';
import { RTC_SPANS } from '../telemetry/telemetry-names';
import { describe, EventDeduplicator } from './claims/event-deduplicator';
import type { InboundBodyReader } from './inbound-body.reader';
import {
  asObject,
  badRequest,
  failed,
  incomplete,
  InboundAnswer,
  jsonAnswer,
  notConfigured,
  parseJsonObject,
  timedOut,
  tooLarge,
  unauthorized,
} from './inbound-answer';
import type { DeliveryTelemetry, InboundTelemetry } from './inbound-telemetry';
import { RTC_CALLBACK_SIGNED_FIELDS, RtcCallbackSignedFields } from './rtc-callback-signature';
import type { RtcInboundHandlers } from './rtc-inbound-handlers';
import type { ResolvedEventRoute } from './rtc-inbound.options';
import type { RtcEvent, RtcEventDelivery, RtcEventProblem } from './rtc-inbound.types';

/** The fields that identify an event: they must not be empty. */
const NON_EMPTY_FIELDS = new Set(['EventType', 'EventId', 'AppId', 'Signature']);

/** ISO-8601 date and time with seconds and an offset, as RTC writes `EventTime`. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** What a receiver needs besides its route. */
export interface RtcEventReceiverDependencies {
  readonly appIds: ReadonlySet<string>;
  readonly handlers: RtcInboundHandlers;
  readonly deduplicator: EventDeduplicator;
  readonly telemetry: InboundTelemetry;
  readonly logger: RtcLogger;
  readonly onDelivery?: (delivery: RtcEventDelivery) => void;
}

/**
 * One event callback, from its body to its answer: refused in the order size (413), shape (400
 * naming the field), signature (401), AppId (403); then handled once per `EventId` (see
 * `EventDeduplicator`). Knows nothing of HTTP beyond status codes: the middleware reads the body
 * and writes the answer.
 */
export class RtcEventReceiver {
  constructor(
    private readonly route: ResolvedEventRoute,
    private readonly deps: RtcEventReceiverDependencies,
  ) {}

  /**
   * The answer to one delivery; never rejects. Without a callback secret the route answers 503
   * "not configured" before it reads the body.
   * @param read reads the body (at most the route's limit, within the time given)
   * @param arrivedAt `performance.now()` when the request arrived: the deadline runs from there
   */
  async receive(read: InboundBodyReader, arrivedAt: number): Promise<InboundAnswer> {
    const telemetry = this.deps.telemetry.startDelivery(RTC_SPANS.inboundEvent);
    const answer = await this.answer(read, arrivedAt, telemetry);
    telemetry.end(answer.outcome);
    return answer;
  }

  private async answer(
    read: InboundBodyReader,
    arrivedAt: number,
    telemetry: DeliveryTelemetry,
  ): Promise<InboundAnswer> {
    const { secrets, maxBodyBytes, deadlineMs } = this.route;
    if (!secrets) {
      return notConfigured('RTC event callbacks are not configured: no callback secret is set');
    }
    const body = await read(maxBodyBytes, arrivedAt + deadlineMs - performance.now());
    if (body.kind === 'too-large') return tooLarge(maxBodyBytes);
    if (body.kind === 'incomplete') return incomplete();
    const parsed = body.kind === 'bytes' ? parseJsonObject(body.bytes) : asObject(body.value);
    if ('violation' in parsed) return badRequest([parsed.violation]);
    const fields = parsed.value;
    const violations = fieldViolations(fields);
    if (violations.length > 0) return badRequest(violations);
    const signed = fields as unknown as RtcCallbackSignedFields & { Signature: string };
    if (!secrets.verify(signed, signed.Signature)) return unauthorized('signature');
    if (!this.deps.appIds.has(signed.AppId)) {
      return jsonAnswer(403, { message: 'AppId is not one this server handles' }, 'refused');
    }
    telemetry.identify(signed.EventType, signed.EventId);
    const receivedAt = new Date();
    const answer = await this.handle(signed, arrivedAt + deadlineMs, telemetry);
    this.report(signed, receivedAt, answer);
    return answer;
  }

  private async handle(
    fields: RtcCallbackSignedFields,
    deadlineAt: number,
    telemetry: DeliveryTelemetry,
  ): Promise<InboundAnswer> {
    const handler = this.deps.handlers.eventHandlerOf(fields.EventType);
    // RTC sends only the events the app subscribed to; one it does not handle is done with.
    if (!handler) return jsonAnswer(200, { outcome: 'handled' }, 'handled');
    const event = toRtcEvent(fields);
    const run = await this.deps.deduplicator.runOnce(
      `${fields.AppId}:${fields.EventId}`,
      deadlineAt,
      async () => {
        const started = performance.now();
        try {
          await handler.call(event);
        } catch (error) {
          telemetry.handlerRan(performance.now() - started, 'failed');
          throw error;
        }
        telemetry.handlerRan(performance.now() - started, 'handled');
      },
    );
    switch (run.outcome) {
      case 'handled':
      case 'duplicate':
        return jsonAnswer(200, { outcome: run.outcome }, run.outcome);
      case 'timed_out':
        return timedOut();
      case 'failed':
        if (run.storeFailed) {
          this.deps.logger.error(
            `RTC event ${fields.EventType} ${fields.EventId} not handled: the de-duplication store failed (${describe(run.error)})`,
          );
          return jsonAnswer(
            503,
            { message: 'the de-duplication store is unavailable; retry later' },
            'failed',
          );
        }
        if (run.error !== undefined) {
          this.deps.logger.error(
            `RTC event handler ${handler.name} failed on ${fields.EventType} ${fields.EventId}: ${describe(run.error)}`,
          );
        }
        return failed();
    }
  }

  private report(fields: RtcCallbackSignedFields, receivedAt: Date, answer: InboundAnswer): void {
    const { onDelivery } = this.deps;
    if (!onDelivery) return;
    try {
      onDelivery({
        eventId: fields.EventId,
        eventType: fields.EventType,
        appId: fields.AppId,
        rawEventTime: fields.EventTime,
        receivedAt,
        outcome: answer.outcome,
      });
    } catch (error) {
      this.deps.logger.warn(`onEventDelivery threw: ${describe(error)}`);
    }
  }
}

/** Each signed field and `Signature` must be a string; the identifying ones not empty. */
function fieldViolations(fields: Record<string, unknown>): FieldViolation[] {
  const violations: FieldViolation[] = [];
  for (const field of [...RTC_CALLBACK_SIGNED_FIELDS, 'Signature']) {
    const value = fields[field];
    if (typeof value !== 'string') {
      violations.push({
        field,
        rule: 'isString',
        message: value === undefined ? `${field} is missing` : `${field} must be a string`,
      });
    } else if (value.length === 0 && NON_EMPTY_FIELDS.has(field)) {
      violations.push({ field, rule: 'notEmpty', message: `${field} must not be empty` });
    }
  }
  return violations;
}

/** The handler's view of a verified event: `EventData` parsed, `EventTime` a `Date`. */
export function toRtcEvent(fields: RtcCallbackSignedFields): RtcEvent {
  const problems: RtcEventProblem[] = [];
  let data: unknown;
  try {
    data = JSON.parse(fields.EventData);
  } catch {
    problems.push({ field: 'EventData', message: 'EventData is not a JSON document' });
  }
  const time = ISO_8601.test(fields.EventTime) ? new Date(fields.EventTime) : undefined;
  const eventTime = time && !Number.isNaN(time.getTime()) ? time : undefined;
  if (!eventTime) {
    problems.push({ field: 'EventTime', message: 'EventTime is not an ISO-8601 date and time' });
  }
  return {
    eventType: fields.EventType,
    eventId: fields.EventId,
    appId: fields.AppId,
    version: fields.Version,
    data,
    rawData: fields.EventData,
    eventTime,
    rawEventTime: fields.EventTime,
    problems,
  };
}
