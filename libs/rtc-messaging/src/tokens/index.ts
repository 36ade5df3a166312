export { RtcAppKeys } from './app-keys';
export {
  assembleToken,
  decodeRtcToken,
  DecodedRtcToken,
  isTokenAppId,
  packTokenMessage,
  parseRtcToken,
  serializeRtcToken,
  signTokenMessage,
} from './token-codec';
export {
  RTC_TOKEN_APP_ID_LENGTH,
  RTC_TOKEN_APP_ID_PATTERN,
  RTC_TOKEN_MAX_LENGTH,
  RTC_TOKEN_MAX_LIFETIME_SECONDS,
  RTC_TOKEN_PRIVILEGES,
  RTC_TOKEN_VERSION,
  RtcTokenContent,
  RtcTokenFormatError,
  RtcTokenPrivilegeGrant,
} from './token-format';
export {
  RtcTokenCheck,
  RtcTokenRefusal,
  RtcTokenVerdict,
  tokenValidUntil,
  verifyRtcToken,
} from './token-verify';
