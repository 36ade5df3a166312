import type { Cluster, Redis } from 'ioredis';
import { FactoryProvider } from '@nestjs/common';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type {
  ResolvedRateLimitOptions,
  ResolvedRtcMessagingOptions,
} from '../rtc-messaging.options';
import type { RtcLogger } from '../telemetry/rtc-logger';
import { CallBudget } from './call-budget';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';
import { RedisRateLimitStore } from './redis-rate-limit.store';
import { BudgetStoreState } from './store-health';

/**
 * The module's budget, its store made from the options: Redis when `redis` is set, else memory.
 * @param logger the module's `logger` option: store state changes are logged there
 */
export function createCallBudget(
  options: ResolvedRateLimitOptions,
  timeoutMs: number,
  logger: RtcLogger,
): CallBudget {
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
    callTimeoutMs: timeoutMs,
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
  return redis !== undefined && options.onRedisError === 'local'
    ? new CallBudget(store, { ...common, onStoreError: 'local', instances: options.instances ?? 1 })
    : new CallBudget(store, { ...common, onStoreError: 'fail-closed' });
}

/**
 * The budget every call of the module takes its place from (`null` with `rateLimit: false`).
 * Closed on shutdown (`CallBudget.onApplicationShutdown`), after the dispatcher drained its calls.
 */
export const callBudgetProvider: FactoryProvider<CallBudget | null> = {
  provide: RTC_CALL_BUDGET,
  inject: [RTC_MESSAGING_OPTIONS],
  useFactory: ({ rateLimit, timeoutMs, logger }: ResolvedRtcMessagingOptions) =>
    rateLimit ? createCallBudget(rateLimit, timeoutMs, logger) : null,
};
