import { Inject, Injectable, Optional } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { RtcError } from '../errors';
import type { BudgetStoreState } from '../rate-limit/store-health';
import type { CallBudget } from '../rate-limit/call-budget';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';

/** Options of one readiness check. */
export interface RtcHealthCheckOptions {
  /** Time allowed for the endpoint to answer, in ms. Default 3,000. */
  timeoutMs?: number;
  /** How long a result is reused, in ms, so probes cannot hammer the upstream. Default 5,000. */
  cacheMs?: number;
}

/** What readiness says of the call budget: where it is kept, and whether Redis answers. */
interface BudgetHealth {
  /** `shared`, `local` or `unavailable` (see `CallBudget.storeState`). */
  budgetStore: BudgetStoreState;
  /** With the budget in Redis: whether it answered a probe just now. */
  redis?: 'up' | 'down';
}

/**
 * Readiness of the RTC OpenAPI for a terminus health check: the module's options were valid (it
 * booted), the endpoint answers HTTP within a timeout, and calls can get budget: with the budget
 * in Redis and `onRedisError: 'fail-closed'` every call is refused while Redis does not answer,
 * so readiness is down then too (with `'local'` calls still go, paced in memory: up). It never
 * sends a message, never throws (a failure is `down` with a reason) and never shows a secret
 * (not the Redis URL nor its password either).
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
    // Null with `rateLimit: false`; absent where a test module provides no budget at all.
    @Optional() @Inject(RTC_CALL_BUDGET) private readonly budget?: CallBudget | null,
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
    const [upstream, budget] = await Promise.all([
      this.probeEndpoint(timeoutMs),
      this.probeBudget(),
    ]);
    const details = budget?.health ?? {};
    // The endpoint's reason first: with both down, it is the one an operator fixes first.
    if ('reason' in upstream) return check.down({ endpoint, reason: upstream.reason, ...details });
    if (budget?.reason !== undefined) {
      return check.down({ endpoint, reason: budget.reason, ...details });
    }
    return check.up({
      endpoint,
      region: this.options.region,
      latencyMs: upstream.latencyMs,
      ...details,
    });
  }

  private async probeEndpoint(
    timeoutMs: number,
  ): Promise<{ latencyMs: number } | { reason: string }> {
    try {
      return await this.client.probe(timeoutMs);
    } catch (error) {
      return { reason: error instanceof RtcError ? error.message : 'probe failed' };
    }
  }

  /**
   * The budget's part: nothing without one; its store's state; with Redis, a probe of it, and the
   * reason readiness is down when it fails and calls fail closed. A probe that passes wins over an
   * `unavailable` state: that state only clears when a call succeeds, and a readiness that waited
   * for a call would keep an instance out of rotation, and so without calls, for good.
   */
  private async probeBudget(): Promise<{ health: BudgetHealth; reason?: string } | undefined> {
    const { budget } = this;
    const { rateLimit } = this.options;
    if (!budget || !rateLimit) return undefined;
    if (rateLimit.redis === undefined) return { health: { budgetStore: budget.storeState } };
    try {
      await budget.probeStore();
      return { health: { budgetStore: budget.storeState, redis: 'up' } };
    } catch (error) {
      const health: BudgetHealth = { budgetStore: budget.storeState, redis: 'down' };
      if (rateLimit.onRedisError === 'local') return { health };
      // The store's errors name the host and port (or a timeout), never the URL or its password.
      const because = error instanceof Error ? `: ${error.message}` : '';
      return { health, reason: `call budget unavailable, Redis does not answer${because}` };
    }
  }
}
