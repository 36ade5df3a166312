import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { RtcMessagingHealthIndicator } from 'nestjs-volcengine-rtc/health';
import { HEALTH_PATH } from './health.constants';
import { statusesOnly } from './status-only';

/** Probes are answered within this, even when the RTC OpenAPI does not answer at all. */
const RTC_PROBE_TIMEOUT_MS = 2_000;
/** A result is reused this long, so frequent probes do not each call out to the OpenAPI. */
const RTC_PROBE_CACHE_MS = 5_000;

/**
 * Kubernetes-style probes; no API key, so each answer says only whether each check is up: the
 * details (the endpoint, why it is down) go to the log.
 */
@Controller(HEALTH_PATH)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly rtc: RtcMessagingHealthIndicator,
  ) {}

  /** The process answers HTTP; touches nothing external, so an upstream outage never restarts it. */
  @Get('live')
  @HealthCheck()
  live() {
    return statusesOnly(this.health.check([() => this.indicators.check('process').up()]));
  }

  /** The RTC OpenAPI answers; 503 when it does not, with the reason in the log. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return statusesOnly(
      this.health.check([
        () =>
          this.rtc.isHealthy('rtc', {
            timeoutMs: RTC_PROBE_TIMEOUT_MS,
            cacheMs: RTC_PROBE_CACHE_MS,
          }),
      ]),
    );
  }
}
