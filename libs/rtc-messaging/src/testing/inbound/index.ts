/**
 * What RTC sends an app server, delivered from code: signed event callbacks (with RTC's retries,
 * time limit and duplicates) and client messages signed with a token. For e2e tests of the
 * receiving side, against any URL.
 */
export {
  buildRtcCallbackEvent,
  RTC_CALLBACK_DEFAULT_VERSION,
  RtcCallbackEventBody,
  RtcCallbackEventInput,
} from './rtc-callback-event';
export {
  deliverRtcCallbackEvent,
  RTC_CALLBACK_MAX_DELIVERIES,
  RTC_CALLBACK_TIMEOUT_MS,
  RtcEventDeliveryAttempt,
  RtcEventDeliveryOptions,
  RtcEventDeliveryReport,
} from './rtc-event-delivery';
export {
  buildRtcClientMessage,
  makeRtcClientToken,
  RtcClientMessageBody,
  RtcClientMessageInput,
  RtcClientMessageSendOptions,
  RtcClientMessageReport,
  RtcClientTokenInput,
  sendRtcClientMessage,
} from './rtc-client-message';
