import type { Cluster, Redis } from 'ioredis';
import { FactoryProvider, OnApplicationShutdown } from '@nestjs/common';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type {
  ResolvedRateLimitOptions,
  ResolvedRtcMessagingOptions,
} from '../rtc-messaging.options';
import { redactSecrets } from '../errors/rtc-budget-unavailable.error';
import type { RtcLogger } from '../telemetry/rtc-logger';
import { AcquireOptions, BudgetStoreState, CallBudget, ConnectionWarmth } from './call-budget';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * The key `probeStore` takes from: its prefix is neither `appId:` nor `account:`, so it is no
 * call's key, and its one unit expires within a millisecond.
 */
export const STORE_PROBE_KEY = 'health-probe';
const STORE_PROBE_RATE = { intervalMs: 1, burst: 0 } as const;

/** The module's budget: a `CallBudget` keyed per AppId (or account), and the store it owns. */
export class MessagingBudget implements OnApplicationShutdown {
  constructor(
    private readonly budget: CallBudget,
    private readonly store: RateLimitStore,
    private readonly keyOf: (appId: string) => string,
  ) {}

  /**
   * Resolves when a call to `appId` may go out, with the age of its grant (see
   * `CallBudget.acquire`).
   * @throws RtcRateLimitedError when an interactive call cannot go within `maxWaitMs`, or too many
   *   interactive calls wait
   * @throws RtcBudgetUnavailableError when Redis is unreachable and the budget fails closed
   */
  acquire(appId: string, options?: AcquireOptions): Promise<number> {
    return this.budget.acquire(this.keyOf(appId), options);
  }

  /** Callers of `appId` waiting for budget right now, interactive and bulk. */
  queued(appId: string): number {
    return this.budget.queued(this.keyOf(appId));
  }

  /**
   * A call's round trip, from its grant (when the granting take went to the store) to its answer,
   * in ms: the adaptive safety margin follows the spread of these.
   */
  observeRoundTrip(roundTripMs: number): void {
    this.budget.observeRoundTrip(roundTripMs);
  }

  /** See `CallBudget.useConnectionWarmth`. */
  useConnectionWarmth(warmth: ConnectionWarmth): void {
    this.budget.useConnectionWarmth(warmth);
  }

  /** See `CallBudget.expectedConcurrency`. */
  expectedConcurrency(): number | undefined {
    return this.budget.expectedConcurrency();
  }

  /** Milliseconds since the budget last granted a unit. */
  msSinceLastGrant(): number {
    return this.budget.msSinceLastGrant();
  }

  /** The safety margin the budget paces with now, in ms. */
  get marginMs(): number {
    return this.budget.marginMs;
  }

  /** The upstream throttled a call although the budget paced it: the margin widens for a while. */
  observeThrottled(): void {
    this.budget.observeThrottled();
  }

  /**
   * The budget's Redis connection when it has one (`rateLimit.redis`), for `RtcInboundModule`'s
   * de-duplication to share; it stays the budget's to close, after the app's shutdown hooks.
   */
  get redisConnection(): Redis | Cluster | undefined {
    return this.store instanceof RedisRateLimitStore ? this.store.connection : undefined;
  }

  /** Which store paces calls now: `shared` (Redis or memory), `local` fallback, or `unavailable`. */
  get storeState(): BudgetStoreState {
    return this.budget.storeState;
  }

  /**
   * Whether the store answers now: one take of a key no call uses (`STORE_PROBE_KEY`), so no
   * call's budget is spent. The state above only changes when a call asks the store, which a
   * readiness probe cannot wait for: a Redis down since boot leaves it `shared` until the first
   * call fails. Bounded by the store's own timeout (a Redis store: 250 ms, and at once while its
   * connection is down). Rejects with the store's error, secrets redacted.
   */
  async probeStore(): Promise<void> {
    try {
      await this.store.tryTake(STORE_PROBE_KEY, STORE_PROBE_RATE);
    } catch (error) {
      throw redactSecrets(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.budget.close();
    // A client given by the user stays theirs: RedisRateLimitStore.close() leaves it open.
    await this.store.close?.();
  }
}

/** @param logger the module's `logger` option: store state changes are logged there */
function createBudget(options: ResolvedRateLimitOptions, logger: RtcLogger): MessagingBudget {
  const { redis, redisKeyPrefix: keyPrefix } = options;
  const store: RateLimitStore =
    redis === undefined
      ? new MemoryRateLimitStore()
      : new RedisRateLimitStore(
          typeof redis === 'string'
            ? { url: redis, keyPrefix }
            : { client: redis as Redis | Cluster, keyPrefix },
        );
  const common = {
    perSecond: options.perSecond,
    maxWaitMs: options.maxWaitMs,
    maxQueued: options.maxQueued,
    onStoreStateChange: (state: BudgetStoreState, error?: unknown) => {
      // The error of an ioredis client names the host and port, never the URL's password.
      const reason = error instanceof Error ? `: ${error.message}` : '';
      if (state === 'shared') logger.log('Call budget: back on the shared store');
      else
        logger.warn(
          `Call budget: ${state === 'local' ? 'pacing locally' : 'refusing calls'}, the shared store failed${reason}`,
        );
    },
  };
  const budget =
    redis !== undefined && options.onRedisError === 'local'
      ? new CallBudget(store, {
          ...common,
          onStoreError: 'local',
          instances: options.instances ?? 1,
        })
      : new CallBudget(store, { ...common, onStoreError: 'fail-closed' });
  return new MessagingBudget(budget, store, options.keyOf);
}

/** `null` when the module runs with `rateLimit: false`. */
export const messagingBudgetProvider: FactoryProvider<MessagingBudget | null> = {
  provide: RTC_CALL_BUDGET,
  inject: [RTC_MESSAGING_OPTIONS],
  useFactory: ({ rateLimit, logger }: ResolvedRtcMessagingOptions) =>
    rateLimit ? createBudget(rateLimit, logger) : null,
};
