import { CanActivate, Injectable, Optional, ServiceUnavailableException } from '@nestjs/common';
import { FanOutJobs } from 'nestjs-volcengine-rtc/jobs';

/** What the fan-out job endpoints answer without `REDIS_URL`. */
export const JOBS_NOT_CONFIGURED =
  'fan-out jobs are not available: they need Redis (set REDIS_URL); POST /v1/messages/fan-out still sends small lists';

/**
 * Turns the job endpoints off (503) when the app has no Redis, where the jobs module is not
 * registered at all: a caller learns at once what is missing.
 */
@Injectable()
export class JobsConfiguredGuard implements CanActivate {
  constructor(@Optional() private readonly jobs?: FanOutJobs) {}

  canActivate(): boolean {
    if (!this.jobs) throw new ServiceUnavailableException(JOBS_NOT_CONFIGURED);
    return true;
  }
}
