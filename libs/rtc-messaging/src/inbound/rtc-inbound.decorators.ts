import { SetMetadata } from '@nestjs/common';

/** Metadata key of `@OnRtcEvent`: the event types of a method (`[]` for the catch-all). */
export const RTC_EVENT_HANDLER_METADATA = 'nestjs-volcengine-rtc:on-rtc-event';

/** Metadata key of `@OnRtcClientMessage`. */
export const RTC_CLIENT_MESSAGE_HANDLER_METADATA = 'nestjs-volcengine-rtc:on-rtc-client-message';

/**
 * Marks a provider's method as the handler of RTC event callbacks of the given types (e.g.
 * `UserJoinRoom`), or, with no type, as the catch-all: the handler of every event type that has
 * no handler of its own. Each type has at most one handler, and there is at most one catch-all
 * (a second is a boot error), so "handled once" means one method ran once. The method receives an
 * `RtcEvent`; when it throws (or rejects), the delivery is answered 500 and RTC's retry runs it
 * again. Only metadata: `RtcInboundModule` finds the methods once, at bootstrap.
 *
 * @example
 * @Injectable()
 * export class Presence {
 *   @OnRtcEvent('UserJoinRoom', 'UserLeaveRoom')
 *   async changed(event: RtcEvent<{ RoomId: string; UserId: string }>) {}
 *
 *   @OnRtcEvent()
 *   async other(event: RtcEvent) {}
 * }
 */
export const OnRtcEvent = (...eventTypes: string[]): MethodDecorator =>
  SetMetadata(RTC_EVENT_HANDLER_METADATA, eventTypes);

/**
 * Marks a provider's method as the handler of the messages clients send to the server
 * (`sendServerMessage` / `sendServerBinaryMessage`). There is exactly one in an app that mounts
 * the client-message route. The method receives an `RtcClientMessage` and returns the client's
 * acknowledgement (see `RtcClientMessageReply`); a throw answers 500 without details.
 *
 * @example
 * @OnRtcClientMessage()
 * async fromClient(msg: RtcClientMessage) {
 *   return { ok: true, from: msg.userId };
 * }
 */
export const OnRtcClientMessage = (): MethodDecorator =>
  SetMetadata(RTC_CLIENT_MESSAGE_HANDLER_METADATA, true);
