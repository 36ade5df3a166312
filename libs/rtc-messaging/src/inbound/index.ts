export {
  RTC_CALLBACK_SIGNED_FIELDS,
  RtcCallbackSecrets,
  rtcCallbackSignature,
  RtcCallbackSignedFields,
  verifyRtcCallbackSignature,
} from './rtc-callback-signature';
export {
  OnRtcClientMessage,
  OnRtcEvent,
  RTC_CLIENT_MESSAGE_HANDLER_METADATA,
  RTC_EVENT_HANDLER_METADATA,
} from './rtc-inbound.decorators';
export {
  RtcClientBinaryMessage,
  RtcClientMessage,
  RtcClientMessageReply,
  RtcClientTextMessage,
  RtcEvent,
  RtcEventDelivery,
  RtcEventProblem,
  RtcInboundOutcome,
} from './rtc-inbound.types';
export { RtcInboundModule } from './rtc-inbound.module';
export {
  RTC_EVENT_CLAIM_STORE,
  RTC_INBOUND_MODULE_OPTIONS,
  RTC_INBOUND_OPTIONS,
  RtcInboundModuleAsyncOptions,
  RtcInboundModuleForRootOptions,
} from './rtc-inbound.module-definition';
export {
  DEFAULT_CLAIM_TTL_MS,
  DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES,
  DEFAULT_EVENT_MAX_BODY_BYTES,
  DEFAULT_INBOUND_DEADLINE_MS,
  DEFAULT_INBOUND_REDIS_KEY_PREFIX,
  DEFAULT_MEMORY_MAX_EVENTS,
  ResolvedRtcInboundOptions,
  RtcClientMessageOptions,
  RtcDeduplicationOptions,
  RtcEventCallbackOptions,
  RtcInboundModuleOptions,
  RtcSenderVerifier,
} from './rtc-inbound.options';
export {
  RtcEventClaim,
  RtcEventClaimState,
  RtcEventClaimStore,
} from './claims/event-claim-store.interface';
export { MemoryEventClaimStore } from './claims/memory-event-claim.store';
export {
  RedisEventClaimStore,
  RedisEventClaimStoreOptions,
} from './claims/redis-event-claim.store';
export { MAX_REPLY_BYTES } from './rtc-client-message.receiver';
