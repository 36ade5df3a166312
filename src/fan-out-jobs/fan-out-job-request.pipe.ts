import { ArgumentMetadata, Inject, Injectable } from '@nestjs/common';
import { expandIdListViolations, FieldViolation, RtcValidationError } from 'nestjs-volcengine-rtc';
import { RtcValidationPipe } from '../validation/rtc-validation.pipe';
import { fanOutJobsConfig, type FanOutJobsConfig } from './fan-out-jobs.config';

/**
 * Validates `POST /v1/fan-outs` like `RecipientListPipe` does a fan-out, with the jobs' cap
 * (`FAN_OUT_JOB_MAX_RECIPIENTS`) instead: every broken rule at once, ids named by position.
 */
@Injectable()
export class FanOutJobRequestPipe extends RtcValidationPipe {
  constructor(@Inject(fanOutJobsConfig.KEY) private readonly jobs: FanOutJobsConfig) {
    super();
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const recipients = (value as Record<string, unknown> | null)?.to;
    let violations: readonly FieldViolation[] = [];
    let valid: unknown;
    try {
      valid = await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof RtcValidationError)) throw error;
      violations = expandIdListViolations(error.violations, 'to', recipients);
    }
    const max = this.jobs.maxRecipients;
    const cap: FieldViolation[] =
      Array.isArray(recipients) && recipients.length > max
        ? [
            {
              field: 'to',
              rule: 'arrayMaxSize',
              message: `to must contain at most ${max.toLocaleString('en-US')} recipients; it has ${recipients.length.toLocaleString('en-US')}`,
            },
          ]
        : [];
    if (violations.length + cap.length > 0) throw new RtcValidationError([...violations, ...cap]);
    return valid;
  }
}
