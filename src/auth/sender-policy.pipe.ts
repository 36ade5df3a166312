import { ForbiddenException, Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FieldViolation } from 'nestjs-volcengine-rtc';
import { senderPolicyConfig, type SenderPolicyConfig } from '../config';

/** The fields of a message body that choose who it is sent as. */
interface SenderFields {
  readonly from?: string;
  readonly appId?: string;
}

/** `from` names a sender id that is neither `RTC_FROM` nor listed. */
export const FROM_NOT_ALLOWED: FieldViolation = {
  field: 'from',
  rule: 'allowedFrom',
  message: 'from must be the default sender id (RTC_FROM) or one of RTC_ALLOWED_FROM',
};

/** `appId` names an AppId that is neither `RTC_APP_ID` nor listed. */
export const APP_ID_NOT_ALLOWED: FieldViolation = {
  field: 'appId',
  rule: 'allowedAppId',
  message: 'appId must be the default AppId (RTC_APP_ID) or one of RTC_ALLOWED_APP_IDS',
};

/** The 403 a refused override answers, each refused field a violation (as a 400 names them). */
export class SenderNotAllowedException extends ForbiddenException {
  constructor(readonly violations: readonly FieldViolation[]) {
    super({
      message: `${violations.map((violation) => violation.message).join('; ')}; nothing was sent`,
      violations,
    });
  }
}

/**
 * Refuses a body whose `from` or `appId` is not allowed (`RTC_ALLOWED_FROM`,
 * `RTC_ALLOWED_APP_IDS`, or the configured default) with a 403 naming each such field, so
 * nothing is sent. Runs after the validation pipe: a malformed value is still a 400.
 *
 * @example
 * send(@Body(RtcValidationPipe, SenderPolicyPipe) body: SendUnicastRequest) {}
 */
@Injectable()
export class SenderPolicyPipe implements PipeTransform<SenderFields, SenderFields> {
  constructor(@Inject(senderPolicyConfig.KEY) private readonly policy: SenderPolicyConfig) {}

  transform(body: SenderFields): SenderFields {
    const violations: FieldViolation[] = [];
    if (body.from !== undefined && !this.policy.allowedFrom.has(body.from)) {
      violations.push(FROM_NOT_ALLOWED);
    }
    if (body.appId !== undefined && !this.policy.allowedAppIds.has(body.appId)) {
      violations.push(APP_ID_NOT_ALLOWED);
    }
    if (violations.length > 0) throw new SenderNotAllowedException(violations);
    return body;
  }
}
