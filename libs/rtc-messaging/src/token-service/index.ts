export { RtcTokenService } from './rtc-token.service';
export {
  LoginTokenOptions,
  RoomTokenOptions,
  RtcIssuedToken,
  RtcTokenExpectations,
  RtcTokenInvalidReason,
  RtcTokenVerification,
} from './rtc-token.types';
export { RTC_TOKEN_CLOCK, RtcTokenClock, SystemTokenClock } from './token-clock';
export { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, TOKEN_TTL_RULE } from './token-defaults';
export {
  LoginTokenDto,
  RoomTokenDto,
  TOKEN_APP_ID_RULE,
  TokenExpectationsDto,
} from './token-input.dto';
export { IsAppKey } from './token-options';
