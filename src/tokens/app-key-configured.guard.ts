import { CanActivate, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { RtcTokenService } from 'nestjs-volcengine-rtc';

/** What the token endpoints answer without `RTC_APP_KEY`. */
export const APP_KEY_NOT_CONFIGURED =
  'access tokens are not available: the AppKey is not configured (set RTC_APP_KEY)';

/**
 * Turns the token endpoints off (503) when the app has no AppKey: messaging works without one,
 * and a caller learns at once what is missing rather than meeting a 500 on each call.
 */
@Injectable()
export class AppKeyConfiguredGuard implements CanActivate {
  constructor(private readonly tokens: RtcTokenService) {}

  canActivate(): boolean {
    if (!this.tokens.hasAppKey) throw new ServiceUnavailableException(APP_KEY_NOT_CONFIGURED);
    return true;
  }
}
