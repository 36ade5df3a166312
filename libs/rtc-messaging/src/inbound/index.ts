export {
  RTC_CALLBACK_SIGNED_FIELDS,
  RtcCallbackSecrets,
  rtcCallbackSignature,
  RtcCallbackSignedFields,
  verifyRtcCallbackSignature,
} from './rtc-callback-signature';
