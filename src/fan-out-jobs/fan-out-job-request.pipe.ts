import { ArgumentMetadata, Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { OmitType } from '@nestjs/swagger';
import { CappedRecipientListPipe } from '../validation/recipient-list.pipe';
import { RtcValidationPipe } from '../validation/rtc-validation.pipe';
import { StreamedRecipients } from './fan-out-job-ndjson.reader';
import { CreateFanOutJobRequest } from './fan-out-job.requests';
import { fanOutJobsConfig, type FanOutJobsConfig } from './fan-out-jobs.config';

/**
 * The first line of an NDJSON job body: the JSON body's fields but `to`, under the same rules
 * (the mapped type carries them; an unknown field, `to` included, is refused).
 */
export class CreateFanOutJobFirstLine extends OmitType(CreateFanOutJobRequest, ['to'] as const) {}

/** A job body as the route takes it: the recipients listed (JSON) or still streaming (NDJSON). */
export type FanOutJobBody = Omit<CreateFanOutJobRequest, 'to'> & {
  readonly to: readonly string[] | StreamedRecipients;
};

/**
 * Validates `POST /v1/fan-outs` as `RecipientListPipe` does a fan-out, with the jobs' caps instead:
 * every broken rule at once, ids named by position. A JSON body lists at most `jsonMaxRecipients`
 * (more is a 413 pointing to NDJSON, up to `FAN_OUT_JOB_MAX_RECIPIENTS`, a 400 beyond); an NDJSON
 * body's first line is validated here, and its ids as the creation reads them.
 */
@Injectable()
export class FanOutJobRequestPipe extends CappedRecipientListPipe {
  private readonly firstLine = new RtcValidationPipe();

  constructor(@Inject(fanOutJobsConfig.KEY) private readonly jobs: FanOutJobsConfig) {
    super();
  }

  protected get maxRecipients(): number {
    return this.jobs.maxRecipients;
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const to = (value as { to?: unknown } | null)?.to;
    if (to instanceof StreamedRecipients) {
      const { to: _, ...job } = value as { to: unknown };
      const valid = await this.firstLine.transform(job, {
        ...metadata,
        metatype: CreateFanOutJobFirstLine,
      });
      return Object.assign(valid as object, { to });
    }
    const { jsonMaxRecipients, maxRecipients } = this.jobs;
    if (Array.isArray(to) && to.length > jsonMaxRecipients && to.length <= maxRecipients) {
      const count = (n: number) => n.toLocaleString('en-US');
      throw new PayloadTooLargeException(
        `a JSON body lists at most ${count(jsonMaxRecipients)} recipients (this one has ${count(to.length)}); send up to ${count(maxRecipients)} as Content-Type: application/x-ndjson, one id per line`,
      );
    }
    // The parameter is typed for both formats, which leaves no class to validate by: this one.
    return super.transform(value, { ...metadata, metatype: CreateFanOutJobRequest });
  }
}
