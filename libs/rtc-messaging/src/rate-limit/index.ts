export { ArrivalHint, GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';
export { bulkRateOf, paceFor } from './gcra';
export { MemoryRateLimitStore, MemoryRateLimitStoreOptions } from './memory-rate-limit.store';
export {
  DEFAULT_BUDGET_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  FAIL_FAST_REDIS_OPTIONS,
  RedisRateLimitStore,
  RedisRateLimitStoreOptions,
} from './redis-rate-limit.store';
export {
  AcquireOptions,
  BudgetPriority,
  BudgetStoreState,
  CALL_BUDGET_DEFAULTS,
  CallBudget,
  CallBudgetOptions,
} from './call-budget';
