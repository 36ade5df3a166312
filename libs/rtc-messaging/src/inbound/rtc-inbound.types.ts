/**
 * What the module's handlers receive and return. RTC's own field names (`EventType`, …) stay on
 * the wire; handlers get camelCase fields with the parsed values beside the raw strings.
 */

/** A field of a verified event that could not be parsed; the raw string is still there. */
export interface RtcEventProblem {
  /** `EventData` (not a JSON document) or `EventTime` (not an ISO-8601 time). */
  readonly field: 'EventData' | 'EventTime';
  /** A sentence naming the field and the rule, never the value. */
  readonly message: string;
}

/**
 * A verified event callback, as a handler receives it.
 *
 * @typeParam TData the shape of `EventData` once parsed (RTC documents one per event type)
 *
 * @example
 * @OnRtcEvent('UserJoinRoom')
 * async joined(event: RtcEvent<{ RoomId: string; UserId: string }>) {
 *   await this.presence.enter(event.data?.RoomId, event.data?.UserId);
 * }
 */
export interface RtcEvent<TData = unknown> {
  /** `EventType`, e.g. `UserJoinRoom`. */
  readonly eventType: string;
  /** `EventId`: the key the module de-duplicates by. */
  readonly eventId: string;
  /** `AppId`: one of the AppIds the module serves. */
  readonly appId: string;
  /** `Version`, e.g. `2020-12-01`. */
  readonly version: string;
  /** `EventData` parsed from its JSON string; `undefined` when it is not JSON (see `problems`). */
  readonly data: TData | undefined;
  /** `EventData` exactly as received. */
  readonly rawData: string;
  /** `EventTime` as a `Date`; `undefined` when it does not parse (see `problems`). */
  readonly eventTime: Date | undefined;
  /** `EventTime` exactly as received. */
  readonly rawEventTime: string;
  /**
   * What could not be parsed. Such an event is still verified and still handled (and answered
   * 200): a retry would carry the same strings.
   */
  readonly problems: readonly RtcEventProblem[];
}

/** The fields every client message has, whichever kind. */
interface RtcClientMessageBase {
  /**
   * The sender's user id, from the verified signature (the RTC token's user id by default, or
   * what the app's own `verifySender` returned). `undefined` only with `verifySender: 'none'`.
   */
  readonly userId: string | undefined;
}

/** A text message (`sendServerMessage`). */
export interface RtcClientTextMessage extends RtcClientMessageBase {
  readonly binary: false;
  /** The text, at most 64 KB in UTF-8, never empty. */
  readonly message: string;
}

/** A binary message (`sendServerBinaryMessage`), decoded from base64. */
export interface RtcClientBinaryMessage extends RtcClientMessageBase {
  readonly binary: true;
  /** The decoded bytes, at most 64 KB, never empty. */
  readonly message: Buffer;
}

/**
 * A message a client sent to the server (`sendServerMessage` / `sendServerBinaryMessage`), as an
 * `@OnRtcClientMessage()` handler receives it.
 */
export type RtcClientMessage = RtcClientTextMessage | RtcClientBinaryMessage;

/**
 * What an `@OnRtcClientMessage()` handler returns: the acknowledgement RTC hands back to the
 * client (`onServerMessageSendResult`), at most 64 KB. A string is sent as UTF-8 text, bytes as
 * they are, any other value as JSON; nothing (`undefined` / `null`) as an empty body.
 */
export type RtcClientMessageReply = string | Uint8Array | object | null | undefined | void;

/**
 * What became of one delivery, as `rtc.outcome`:
 * - `handled`: the handler ran and succeeded (200);
 * - `duplicate`: it had been handled already, or the delivery waited for the run in flight (200);
 * - `refused`: bad size, shape, signature, token or AppId (413, 400, 401, 403, 503 unconfigured);
 * - `failed`: the handler threw, or the de-duplication store failed (5xx, so RTC retries);
 * - `timed_out`: the answer could not wait any longer (503) while the handler keeps running.
 */
export type RtcInboundOutcome = 'handled' | 'duplicate' | 'refused' | 'failed' | 'timed_out';

/**
 * One verified event delivery and its outcome, for the `onEventDelivery` option: every delivery
 * that passed the signature check, duplicates included.
 */
export interface RtcEventDelivery {
  readonly eventId: string;
  readonly eventType: string;
  readonly appId: string;
  /** `EventTime` as received. */
  readonly rawEventTime: string;
  /** When this instance received the delivery. */
  readonly receivedAt: Date;
  readonly outcome: RtcInboundOutcome;
}
