import { assertTakeArguments } from './assert-take-arguments';
import { SlidingLog } from './sliding-log';
import { RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Idle keys are forgotten this often at most, so a store fed ever-new keys stays bounded. */
const SWEEP_INTERVAL_MS = 60_000;

export interface MemoryRateLimitStoreOptions {
  /** Current time in ms; defaults to the monotonic `performance.now()` (tests inject a fake). */
  now?: () => number;
}

/**
 * An exact sliding-log store in this process's memory: per key, the times of the grants of the
 * last window, at most `limit` of them. It suits one instance, or a per-instance share of the limit.
 *
 * Time is monotonic by default because a wall clock stepped back (NTP) would otherwise let a whole
 * new window of grants through.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly now: () => number;
  private readonly logs = new Map<string, { log: SlidingLog; windowMs: number }>();
  private lastSweep: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.lastSweep = this.now();
  }

  async tryTake(key: string, limit: number, windowMs: number): Promise<TakeResult> {
    return this.take(key, limit, windowMs);
  }

  async close(): Promise<void> {
    this.logs.clear();
  }

  private take(key: string, limit: number, windowMs: number): TakeResult {
    assertTakeArguments(limit, windowMs);
    const now = this.now();
    this.sweep(now);

    let entry = this.logs.get(key);
    if (!entry) {
      entry = { log: new SlidingLog(limit), windowMs };
      this.logs.set(key, entry);
    } else if (entry.log.capacity !== limit) {
      entry.log.resize(limit);
    }
    entry.windowMs = windowMs;

    const { log } = entry;
    log.evict(now, windowMs);
    if (log.length < limit) {
      log.push(now);
      return { granted: true };
    }
    return { granted: false, retryAfterMs: Math.max(1, Math.ceil(log.oldest + windowMs - now)) };
  }

  /** Forgets keys whose every grant has left its window. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, { log, windowMs }] of this.logs) {
      if (log.length === 0 || log.newest + windowMs <= now) this.logs.delete(key);
    }
  }
}
