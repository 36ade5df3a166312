import type { Agent, IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { postInbound } from './inbound-post';
import type { RtcCallbackEventBody } from './rtc-callback-event';

/*
 * How RTC delivers an event callback. Source: Volcengine docs 6348/69820: an answer with HTTP 200
 * is success; any other status, or no answer within 5 seconds, is a failure, and RTC retries at
 * most twice (3 deliveries in all). Uniqueness is not guaranteed: the same event may come again.
 * The spacing of retries is not documented: it is an option here, 0 by default.
 */

/** RTC's deliveries of one event, at most: the first and two retries. */
export const RTC_CALLBACK_MAX_DELIVERIES = 3;
/** How long RTC waits for an answer before it counts the delivery as failed. */
export const RTC_CALLBACK_TIMEOUT_MS = 5_000;

/** How {@link deliverRtcCallbackEvent} delivers, RTC's way unless told otherwise. */
export interface RtcEventDeliveryOptions {
  /** Deliveries of one copy at most, the first included, while answers are not 200. Default 3. */
  readonly maxDeliveries?: number;
  /** How long each delivery waits for its answer, in ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** The pause before a retry, in ms (RTC's is undocumented). Default 0. */
  readonly retryDelayMs?: number;
  /**
   * How many times the event is sent, each copy with its own retries: RTC may deliver an event
   * more than once. Default 1.
   */
  readonly copies?: number;
  /** Copies at once (`true`, the default) or one after another's last delivery. */
  readonly concurrent?: boolean;
  /** The `node:http` agent; default a fresh connection per delivery. */
  readonly agent?: Agent;
}

/** One delivery: what it got back, or why nothing came, and when. */
export interface RtcEventDeliveryAttempt {
  /** Which copy (1-based; see `copies`). */
  readonly copy: number;
  /** Which delivery of that copy (1 for the first, 2 and 3 for the retries). */
  readonly delivery: number;
  /** The HTTP status; absent when no answer came within the time limit or the connection failed. */
  readonly status?: number;
  /** The answer's body, as UTF-8 text. */
  readonly body: string;
  /** The answer's headers. */
  readonly headers: IncomingHttpHeaders;
  /** `timeout` (no answer within `timeoutMs`) or `network`; absent when an answer came. */
  readonly failure?: 'timeout' | 'network';
  /** The network error's message, with `failure: 'network'`. */
  readonly error?: string;
  /** When it was sent, in epoch milliseconds. */
  readonly startedAt: number;
  /** How long it took, in milliseconds. */
  readonly durationMs: number;
}

/** What became of an event's deliveries. */
export interface RtcEventDeliveryReport {
  /** The event's `EventId`. */
  readonly eventId: string;
  /** Whether every copy was answered 200 in the end, as RTC counts success. */
  readonly delivered: boolean;
  /** Every delivery, in the order they were sent. */
  readonly attempts: readonly RtcEventDeliveryAttempt[];
}

function integerAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Delivers `event` to `url` as RTC does: a JSON POST, retried after any answer but 200 or after
 * no answer within 5 s, up to 3 deliveries in all; `copies` sends it more than once, as RTC may.
 * Never throws for what the server does: each delivery's outcome is in the report.
 *
 * @example
 * const event = buildRtcCallbackEvent({ type: 'UserJoinRoom', appId, data }, secret);
 * const report = await deliverRtcCallbackEvent(`${url}/v1/rtc/events`, event, { copies: 2 });
 * expect(report.attempts.map((a) => a.status)).toEqual([200, 200]);
 */
export async function deliverRtcCallbackEvent(
  url: string,
  event: RtcCallbackEventBody,
  options: RtcEventDeliveryOptions = {},
): Promise<RtcEventDeliveryReport> {
  const maxDeliveries = integerAtLeast(
    'maxDeliveries',
    options.maxDeliveries ?? RTC_CALLBACK_MAX_DELIVERIES,
    1,
  );
  const timeoutMs = integerAtLeast('timeoutMs', options.timeoutMs ?? RTC_CALLBACK_TIMEOUT_MS, 1);
  const retryDelayMs = integerAtLeast('retryDelayMs', options.retryDelayMs ?? 0, 0);
  const copies = integerAtLeast('copies', options.copies ?? 1, 1);
  const body = Buffer.from(JSON.stringify(event), 'utf8');
  const attempts: RtcEventDeliveryAttempt[] = [];
  let sent = 0;

  const deliverCopy = async (copy: number): Promise<boolean> => {
    for (let delivery = 1; delivery <= maxDeliveries; delivery++) {
      if (delivery > 1 && retryDelayMs > 0) await sleep(retryDelayMs);
      // Its place in the report is taken when it is sent, not when its answer comes.
      const index = sent++;
      const result = await postInbound(url, body, {
        headers: { 'content-type': 'application/json' },
        timeoutMs,
        agent: options.agent,
      });
      attempts[index] = {
        copy,
        delivery,
        status: result.status,
        body: result.body.toString('utf8'),
        headers: result.headers,
        failure: result.failure,
        error: result.error,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
      };
      if (result.status === 200) return true;
    }
    return false;
  };

  const numbers = Array.from({ length: copies }, (_, i) => i + 1);
  let outcomes: boolean[];
  if (options.concurrent === false) {
    outcomes = [];
    for (const copy of numbers) outcomes.push(await deliverCopy(copy));
  } else {
    outcomes = await Promise.all(numbers.map(deliverCopy));
  }
  return { eventId: event.EventId, delivered: outcomes.every(Boolean), attempts };
}
