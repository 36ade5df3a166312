import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RtcError } from '../errors';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';

/** Options of one readiness check. */
export interface RtcHealthCheckOptions {
  /** Time allowed for the endpoint to answer, in ms. Default 3,000. */
  timeoutMs?: number;
  /** How long a result is reused, in ms, so probes cannot hammer the upstream. Default 5,000. */
  cacheMs?: number;
}

/**
 * Readiness of the RTC OpenAPI for a terminus health check: the module's options were valid (it
 * booted) and the endpoint answers HTTP within a timeout. It never sends a message, never throws
 * (a failure is `down` with a reason) and never shows a secret.
 *
 * Uses only `HealthIndicatorService.check(key).up/down`, which terminus 11 and 12 both have.
 *
 * @example
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.rtc.isHealthy('rtc')]); }
 */
@Injectable()
export class RtcMessagingHealthIndicator {
  private cached?: { key: string; expiresAt: number; result: Promise<HealthIndicatorResult> };

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly client: RtcOpenApiClient,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
  ) {}

  async isHealthy<const Key extends string>(
    key: Key,
    { timeoutMs = 3_000, cacheMs = 5_000 }: RtcHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const now = Date.now();
    if (this.cached?.key === key && this.cached.expiresAt > now) {
      return this.cached.result;
    }
    // Concurrent checks share one probe: the promise is cached, not only its value.
    const result = this.probe(key, timeoutMs);
    this.cached = { key, expiresAt: now + cacheMs, result };
    return result;
  }

  private async probe<Key extends string>(
    key: Key,
    timeoutMs: number,
  ): Promise<HealthIndicatorResult<Key>> {
    const check = this.indicators.check(key);
    const endpoint = this.options.endpoint.origin;
    try {
      const { latencyMs } = await this.client.probe(timeoutMs);
      return check.up({ endpoint, region: this.options.region, latencyMs });
    } catch (error) {
      const reason = error instanceof RtcError ? error.message : 'probe failed';
      return check.down({ endpoint, reason });
    }
  }
}
