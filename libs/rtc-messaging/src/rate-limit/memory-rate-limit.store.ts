import { assertTakeArguments } from './assert-take-arguments';
import { gcraTake } from './gcra';
import { GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Idle keys are forgotten this often at most, so a store fed ever-new keys stays bounded. */
const SWEEP_INTERVAL_MS = 60_000;

export interface MemoryRateLimitStoreOptions {
  /** Current time in ms; defaults to the monotonic `performance.now()` (tests inject a fake). */
  now?: () => number;
}

/**
 * A GCRA store in this process's memory: one number per key, its theoretical arrival time (TAT).
 * It suits one instance, or a per-instance share of the limit.
 *
 * Time is monotonic by default because a wall clock stepped back (NTP) would otherwise hold every
 * key back by the step, and one stepped forward would hand out a burst.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly now: () => number;
  private readonly tats = new Map<string, number>();
  private lastSweep: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.lastSweep = this.now();
  }

  async tryTake(key: string, rate: GcraRate): Promise<TakeResult> {
    return this.take(key, rate);
  }

  async close(): Promise<void> {
    this.tats.clear();
  }

  private take(key: string, rate: GcraRate): TakeResult {
    assertTakeArguments(rate);
    const now = this.now();
    this.sweep(now);
    const decision = gcraTake(this.tats.get(key), now, rate);
    if (!decision.granted) return decision;
    this.tats.set(key, decision.tat);
    return { granted: true };
  }

  /**
   * Forgets keys whose TAT has passed: `max(TAT, now)` is then `now`, so such a key decides
   * exactly as a key never seen, whatever rate it is asked next.
   */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, tat] of this.tats) {
      if (tat <= now) this.tats.delete(key);
    }
  }
}
