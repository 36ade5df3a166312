import { Inject, Injectable } from '@nestjs/common';
import { CappedRecipientListPipe } from '../validation/recipient-list.pipe';
import { fanOutJobsConfig, type FanOutJobsConfig } from './fan-out-jobs.config';

/**
 * Validates `POST /v1/fan-outs` as `RecipientListPipe` does a fan-out, with the jobs' cap
 * (`FAN_OUT_JOB_MAX_RECIPIENTS`) instead: every broken rule at once, ids named by position.
 */
@Injectable()
export class FanOutJobRequestPipe extends CappedRecipientListPipe {
  constructor(@Inject(fanOutJobsConfig.KEY) private readonly jobs: FanOutJobsConfig) {
    super();
  }

  protected get maxRecipients(): number {
    return this.jobs.maxRecipients;
  }
}
