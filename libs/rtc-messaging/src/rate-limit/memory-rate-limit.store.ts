import {
  assertTakeArguments,
  bulkLimit,
  RateLimitStore,
  TakeResult,
  UPSTREAM_WINDOW_MS,
} from './rate-limit-store.interface';
import { WindowPlaces } from './window-places';

/** Idle keys are forgotten this often at most, so a store fed ever-new keys stays bounded. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Keys kept by default. The module keys its budget per AppId (or per account), so a real app has
 * a handful; 10,000 keys of idle places are well under a few MB.
 */
export const DEFAULT_MAX_BUDGET_KEYS = 10_000;

/** Options of a {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Current time in ms; defaults to the monotonic `performance.now()` (tests inject a fake). */
  now?: () => number;
  /**
   * At most this many keys are kept, whatever sequence of keys comes (default 10,000). A new key
   * that finds the store full makes it forget idle keys at once; if every key still holds places,
   * the new key is refused until the first of them may free (see `MemoryRateLimitStore`).
   */
  maxKeys?: number;
  /** The upstream's window, in ms; defaults to 1,000. For tests. */
  windowMs?: number;
}

/**
 * The places of each key's window in this process's memory (see `WindowPlaces`). It suits one
 * instance, or a per-instance share of the limit.
 *
 * Time is monotonic by default because a wall clock stepped back (NTP) would otherwise hold
 * places longer by the step, and one stepped forward would free them early.
 *
 * Memory is bounded by `maxKeys`. A full store never forgets a key that still holds places:
 * forgetting it would free them early. It forgets only keys that hold none, which decide exactly
 * as keys never seen; when there are none, a new key is refused (as a rate limit, with the time
 * until the first kept key may free a place). Keys already kept are never affected, so a flood of
 * new keys cannot free or hold back a known one.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly keys = new Map<string, KeyPlaces>();
  private readonly maxKeys: number;
  private lastSweep: number;
  /** Until then a full store has no idle key: the earliest free place its last full scan found. */
  private noRoomUntil = -Infinity;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.windowMs = options.windowMs ?? UPSTREAM_WINDOW_MS;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_BUDGET_KEYS;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new RangeError('maxKeys must be a whole number of at least 1');
    }
    if (!(this.windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.lastSweep = this.now();
  }

  async tryTake(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk = false,
  ): Promise<TakeResult> {
    return this.take(key, id, limit, holdMs, bulk);
  }

  /**
   * Dated by this store's clock when it is called, which is the instance's own: there is no trip
   * to a store to leave out, so the dating of `ReleaseOptions` is not needed (nor is `takenAt`).
   */
  async release(key: string, id: string): Promise<void> {
    const places = this.keys.get(key);
    if (!places) return;
    const now = this.now();
    places.all.release(id, now);
    places.interactive.release(id, now);
  }

  /** Places of `key` held now: what a fallback needs of its own share. */
  held(key: string): number {
    return this.keys.get(key)?.all.held(this.now()) ?? 0;
  }

  /** How soon one of the places of `key` may free, in ms from now (0 when none is held). */
  msUntilFree(key: string): number {
    const now = this.now();
    return (this.keys.get(key)?.all.earliestFree(now) ?? now) - now;
  }

  async close(): Promise<void> {
    this.keys.clear();
    this.noRoomUntil = -Infinity;
  }

  /** Synchronous, for the fallback store, which decides in memory within one of its own takes. */
  take(key: string, id: string, limit: number, holdMs: number, bulk = false): TakeResult {
    assertTakeArguments(limit, holdMs, this.windowMs);
    const now = this.now();
    this.sweep(now);
    let places = this.keys.get(key);
    if (!places) {
      if (this.keys.size >= this.maxKeys) {
        const roomAt = this.makeRoom(now);
        if (roomAt !== undefined) return refusal(roomAt - now);
      }
      places = {
        all: new WindowPlaces(this.windowMs),
        interactive: new WindowPlaces(this.windowMs),
      };
      this.keys.set(key, places);
    }
    const { all, interactive } = places;
    const allowed = bulk ? bulkLimit(limit, interactive.held(now)) : limit;
    if (all.held(now) >= allowed) return refusal(all.earliestFree(now) - now);
    all.take(id, now, holdMs);
    if (!bulk) interactive.take(id, now, holdMs);
    return { granted: true };
  }

  /**
   * Forgets every key that holds no place now, rather than at the next periodic sweep.
   * @returns `undefined` when there is room now, else when the first kept key may free a place
   */
  private makeRoom(now: number): number | undefined {
    // A full scan found no idle key before: none can be idle before the earliest place it saw
    // may free (`earliestFree` is a lower bound: a place then in flight is released no sooner than
    // the scan, so it frees no sooner than a window after it), so a flood of new keys costs one
    // scan per key that turns idle, not one per take.
    if (now < this.noRoomUntil) return this.noRoomUntil;
    let earliest = Infinity;
    for (const [key, places] of this.keys) {
      if (places.all.held(now) === 0) this.keys.delete(key);
      else earliest = Math.min(earliest, places.all.earliestFree(now));
    }
    this.lastSweep = now;
    if (this.keys.size < this.maxKeys) return undefined;
    this.noRoomUntil = earliest;
    return earliest;
  }

  /** Forgets keys that hold no place: such a key decides exactly as a key never seen. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, places] of this.keys) {
      if (places.all.held(now) === 0) this.keys.delete(key);
    }
  }
}

/** The places of one key: all of them, and those of interactive callers among them. */
interface KeyPlaces {
  readonly all: WindowPlaces;
  readonly interactive: WindowPlaces;
}

/** A refusal with the whole milliseconds (≥ 1, rounded up) until a place may free. */
export function refusal(ms: number): TakeResult {
  return { granted: false, retryAfterMs: Math.max(1, Math.ceil(ms)) };
}
