import { assertTakeArguments } from './assert-take-arguments';
import { gcraTake } from './gcra';
import { GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Idle keys are forgotten this often at most, so a store fed ever-new keys stays bounded. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Keys kept by default. The module keys its budget per AppId (or per account), so a real app has
 * a handful; 10,000 TATs are well under 1 MB.
 */
export const DEFAULT_MAX_BUDGET_KEYS = 10_000;

export interface MemoryRateLimitStoreOptions {
  /** Current time in ms; defaults to the monotonic `performance.now()` (tests inject a fake). */
  now?: () => number;
  /**
   * At most this many keys are kept, whatever sequence of keys comes (default 10,000). A new key
   * that finds the store full makes it forget idle keys at once; if every key is still paced, the
   * new key is refused until the first of them is idle (see `MemoryRateLimitStore`).
   */
  maxKeys?: number;
}

/**
 * A GCRA store in this process's memory: one number per key, its theoretical arrival time (TAT).
 * It suits one instance, or a per-instance share of the limit.
 *
 * Time is monotonic by default because a wall clock stepped back (NTP) would otherwise hold every
 * key back by the step, and one stepped forward would hand out a burst.
 *
 * Memory is bounded by `maxKeys`. A full store never evicts a key that is still paced (its TAT
 * not yet passed): forgetting it would let that key start again from rest and exceed its rate.
 * It forgets only idle keys, which decide exactly as keys never seen; when there are none, a new
 * key is refused (as a rate limit, with the time until the first kept key is idle). Keys already
 * kept are never affected, so a flood of new keys cannot speed up or hold back a known one.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly now: () => number;
  private readonly tats = new Map<string, number>();
  private readonly maxKeys: number;
  private lastSweep: number;
  /** Until then a full store has no idle key: the earliest TAT its last full sweep found. */
  private noRoomUntil = -Infinity;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_BUDGET_KEYS;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new RangeError('maxKeys must be a whole number of at least 1');
    }
    this.lastSweep = this.now();
  }

  async tryTake(key: string, rate: GcraRate): Promise<TakeResult> {
    return this.take(key, rate);
  }

  async close(): Promise<void> {
    this.tats.clear();
    this.noRoomUntil = -Infinity;
  }

  private take(key: string, rate: GcraRate): TakeResult {
    assertTakeArguments(rate);
    const now = this.now();
    this.sweep(now);
    const tat = this.tats.get(key);
    if (tat === undefined && this.tats.size >= this.maxKeys) {
      const roomAt = this.makeRoom(now);
      if (roomAt !== undefined)
        return { granted: false, retryAfterMs: Math.max(1, Math.ceil(roomAt - now)) };
    }
    const decision = gcraTake(tat, now, rate);
    if (!decision.granted) return decision;
    this.tats.set(key, decision.tat);
    return { granted: true };
  }

  /**
   * Forgets every idle key now, rather than at the next periodic sweep.
   * @returns `undefined` when there is room now, else when the first kept key will be idle
   */
  private makeRoom(now: number): number | undefined {
    // A full scan found no idle key before: none can be idle before its earliest TAT (TATs only
    // grow), so a flood of new keys costs one scan per key that turns idle, not one per take.
    if (now < this.noRoomUntil) return this.noRoomUntil;
    let earliest = Infinity;
    for (const [key, tat] of this.tats) {
      if (tat <= now) this.tats.delete(key);
      else earliest = Math.min(earliest, tat);
    }
    this.lastSweep = now;
    if (this.tats.size < this.maxKeys) return undefined;
    this.noRoomUntil = earliest;
    return earliest;
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
