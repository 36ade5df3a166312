export {
  assertTakeArguments,
  RateLimitStore,
  ReleaseOptions,
  TakeResult,
  UPSTREAM_WINDOW_MS,
} from './rate-limit-store.interface';
export { MemoryRateLimitStore, MemoryRateLimitStoreOptions } from './memory-rate-limit.store';
export {
  DEFAULT_BUDGET_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  FAIL_FAST_REDIS_OPTIONS,
  RedisRateLimitStore,
  RedisRateLimitStoreOptions,
} from './redis-rate-limit.store';
export { AcquireOptions, CALL_BUDGET_DEFAULTS, CallBudget, CallBudgetOptions } from './call-budget';
export { BudgetPlace } from './key-takes';
export { BudgetStoreState } from './store-health';
export { BudgetPriority } from './waiter-queue';
export { ThrottleFeedback } from './throttle-feedback';
