import type { FieldViolation } from '../errors';
import type { RtcLogger } from '../telemetry/rtc-logger';
import { RTC_SPANS } from '../telemetry/telemetry-names';
import { DeduplicatedRun, describe, EventDeduplicator } from './claims/event-deduplicator';
import type { InboundBody, InboundBodyReader } from './inbound-body.reader';
import {
  asObject,
  badRequest,
  failed,
  incomplete,
  InboundAnswer,
  jsonAnswer,
  notConfigured,
  parseJsonObject,
  refusal,
  timedOut,
  tooLarge,
  unauthorized,
} from './inbound-answer';
import type { InboundTelemetry } from './inbound-telemetry';
import {
  RTC_CALLBACK_SIGNED_FIELDS,
  RtcCallbackSecrets,
  RtcCallbackSignedFields,
} from './rtc-callback-signature';
import type { RtcInboundHandlers } from './rtc-inbound-handlers';
import type { ResolvedEventRoute } from './rtc-inbound.options';
import type { RtcEvent, RtcEventDelivery, RtcEventProblem } from './rtc-inbound.types';

/** The fields a delivery must carry as strings: the signed ones and `Signature`. */
const CHECKED_FIELDS: readonly string[] = [...RTC_CALLBACK_SIGNED_FIELDS, 'Signature'];

/** The fields that identify an event: they must not be empty. */
const NON_EMPTY_FIELDS = new Set(['EventType', 'EventId', 'AppId', 'Signature']);

/** ISO-8601 date and time with seconds and an offset, as RTC writes `EventTime`. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The fields of a delivery whose signature and AppId were checked. */
type VerifiedEventFields = RtcCallbackSignedFields & { readonly Signature: string };

/** The answers to a handled event and to a duplicate: the same bytes every time. */
const HANDLED = jsonAnswer(200, { outcome: 'handled' }, 'handled');
const DUPLICATE = jsonAnswer(200, { outcome: 'duplicate' }, 'duplicate');

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
   * "not configured" before it reads the body. One async step for the whole delivery (the body,
   * then the de-duplicated run): it runs for every delivery, and where an app keeps async
   * context every promise and `await` costs a hook call (bench/README.md).
   * @param read reads the body (at most the route's limit, within the time given)
   * @param arrivedAt `performance.now()` when the request arrived: the deadline runs from there
   */
  async receive(read: InboundBodyReader, arrivedAt: number): Promise<InboundAnswer> {
    const telemetry = this.deps.telemetry.startDelivery(RTC_SPANS.inboundEvent);
    const { secrets, maxBodyBytes, deadlineMs } = this.route;
    let answer: InboundAnswer;
    if (!secrets) {
      answer = notConfigured('RTC event callbacks are not configured: no callback secret is set');
    } else {
      const checked = this.check(
        await read(maxBodyBytes, arrivedAt + deadlineMs - performance.now()),
        secrets,
      );
      if ('status' in checked) {
        answer = checked;
      } else {
        telemetry.identify(checked.EventType, checked.EventId);
        const receivedAt = this.deps.onDelivery ? new Date() : undefined;
        const handler = this.deps.handlers.eventHandlerOf(checked.EventType);
        if (handler) {
          const event = toRtcEvent(checked);
          const run = await this.deps.deduplicator.runOnce(
            `${checked.AppId}:${checked.EventId}`,
            arrivedAt + deadlineMs,
            () => handler.call(event),
            telemetry.handlerRan,
          );
          answer = this.answerOf(run, checked, handler.name);
        } else {
          // RTC sends only the events the app subscribed to; one it does not handle is done with.
          answer = HANDLED;
        }
        this.report(checked, receivedAt, answer);
      }
    }
    telemetry.end(answer.outcome);
    return answer;
  }

  /** Refused in the order size (413), shape (400), signature (401), AppId (403); else verified. */
  private check(
    body: InboundBody,
    secrets: RtcCallbackSecrets,
  ): InboundAnswer | VerifiedEventFields {
    const { maxBodyBytes } = this.route;
    if (body.kind === 'too-large') return tooLarge(maxBodyBytes);
    if (body.kind === 'incomplete') return incomplete();
    const parsed = body.kind === 'bytes' ? parseJsonObject(body.bytes) : asObject(body.value);
    if ('violation' in parsed) return badRequest([parsed.violation]);
    const fields = parsed.value;
    const violations = fieldViolations(fields);
    if (violations.length > 0) return badRequest(violations);
    const signed = fields as unknown as VerifiedEventFields;
    if (!secrets.verify(signed, signed.Signature)) return unauthorized('signature');
    if (!this.deps.appIds.has(signed.AppId)) {
      return refusal(403, 'AppId is not one this server handles');
    }
    return signed;
  }

  /** The answer to what the de-duplicated run came to. */
  private answerOf(
    run: DeduplicatedRun,
    fields: RtcCallbackSignedFields,
    handlerName: string,
  ): InboundAnswer {
    switch (run.outcome) {
      case 'handled':
        return HANDLED;
      case 'duplicate':
        return DUPLICATE;
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
            `RTC event handler ${handlerName} failed on ${fields.EventType} ${fields.EventId}: ${describe(run.error)}`,
          );
        }
        return failed();
    }
  }

  private report(
    fields: RtcCallbackSignedFields,
    receivedAt: Date | undefined,
    answer: InboundAnswer,
  ): void {
    const { onDelivery } = this.deps;
    if (!onDelivery || !receivedAt) return;
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
  for (const field of CHECKED_FIELDS) {
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
