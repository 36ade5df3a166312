import { MemoryRateLimitStore, refusal } from './memory-rate-limit.store';
import { RateLimitStore, ReleaseOptions, TakeResult } from './rate-limit-store.interface';

/** Which store decides: the shared one, or this instance's memory while the shared one fails. */
export type FallbackState = 'shared' | 'local';

/** Least time between two attempts to return to a failed shared store, unless told otherwise. */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

/** A limit no count of places reaches: a take that only records a place. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** Options of a {@link FallbackRateLimitStore}. */
export interface FallbackRateLimitStoreOptions {
  /** Instances sharing the limit: while local, each holds at most `floor(limit / instances)`. */
  instances: number;
  /** Least time between two attempts to use the failed shared store again, in ms. */
  probeIntervalMs?: number;
  /** Current time in ms, monotonic; defaults to `performance.now()`. */
  now?: () => number;
  /** The upstream's window, in ms; defaults to 1,000. For tests. */
  windowMs?: number;
  /** Told on every switch between the shared store and the local one. */
  onStateChange?: (state: FallbackState, error?: unknown) => void;
}

/**
 * A shared store (Redis) that degrades to this instance's share of the limit, kept in memory,
 * while the shared store fails, and returns to it once a probe succeeds.
 *
 * Grants on one side are unknown to the other, so the switches are made conservative:
 * - every place this instance takes is also recorded in memory (`mine`), so that a switch to local
 *   starts from the places it already holds, not from an empty window: while local, a take needs
 *   fewer than its share of them held. The shares add up to the limit;
 * - the places granted while local are also kept apart (`localOnly`); back on the shared store, a
 *   take asks it for the limit less those still held, which the shared store does not know.
 * What remains unguarded is a partition in which some instances still reach the shared store
 * while others are local; the shared store does not see the local places.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  private readonly mine: MemoryRateLimitStore;
  private readonly localOnly: MemoryRateLimitStore;
  private readonly instances: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;
  private readonly onStateChange?: (state: FallbackState, error?: unknown) => void;
  /**
   * Places the shared store granted (or may have), to release there too, each with when the
   * shared store stops holding it anyway (its take plus `holdMs`). In take order, which is that
   * order too (the budget holds every place as long), so passed ones are dropped from the front.
   */
  private readonly sharedPlaces = new Map<string, number>();
  private current: FallbackState = 'shared';
  private lastProbeAt = -Infinity;
  private probing = false;

  constructor(
    private readonly shared: RateLimitStore,
    options: FallbackRateLimitStoreOptions,
  ) {
    if (!(Number.isInteger(options.instances) && options.instances >= 1)) {
      throw new RangeError('instances must be a positive integer');
    }
    this.instances = options.instances;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
    this.onStateChange = options.onStateChange;
    const memory = { now: this.now, windowMs: options.windowMs };
    this.mine = new MemoryRateLimitStore(memory);
    this.localOnly = new MemoryRateLimitStore(memory);
  }

  /** Which store decides now. */
  get state(): FallbackState {
    return this.current;
  }

  async tryTake(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk = false,
  ): Promise<TakeResult> {
    if (this.current === 'local') return this.takeLocally(key, id, limit, holdMs, bulk);

    // Back on the shared store, the places granted while local still count, unknown to it.
    const unknown = this.localOnly.held(key);
    let result: TakeResult;
    try {
      result = await this.shared.tryTake(key, id, Math.max(0, limit - unknown), holdMs, bulk);
    } catch (error) {
      // It may have landed (a timeout): released there too, it does not stay held unused.
      this.heldShared(id, holdMs);
      this.switchTo('local', error);
      return this.takeLocally(key, id, limit, holdMs, bulk);
    }
    if (result.granted) {
      this.heldShared(id, holdMs);
      this.mine.take(key, id, UNLIMITED, holdMs, bulk);
      return result;
    }
    // Refused for the local places maybe: the first of them to free may come before the store's.
    return unknown > 0
      ? refusal(Math.min(result.retryAfterMs, this.localOnly.msUntilFree(key)))
      : result;
  }

  /**
   * A dating (`options.answeredBy`) is always by the shared store's clock: only a place the shared
   * store granted returns a `takenAt` to date from. The memory stores date by their own clock.
   */
  async release(key: string, id: string, options?: ReleaseOptions): Promise<void> {
    await Promise.all([this.mine.release(key, id), this.localOnly.release(key, id)]);
    const until = this.sharedPlaces.get(id);
    if (until === undefined) return;
    if (until > this.now()) await this.shared.release(key, id, options);
    // Forgotten only once the release got through (or the shared hold passed): a release that
    // failed is tried again by the budget, and must reach the shared store then.
    this.sharedPlaces.delete(id);
  }

  /** Records a place the shared store holds for `holdMs` from now unless released. */
  private heldShared(id: string, holdMs: number): void {
    const now = this.now();
    for (const [held, until] of this.sharedPlaces) {
      if (until > now) break;
      this.sharedPlaces.delete(held);
    }
    this.sharedPlaces.set(id, now + holdMs);
  }

  /** Closes the local stores; the shared store belongs to whoever made it. */
  async close(): Promise<void> {
    await Promise.all([this.mine.close(), this.localOnly.close()]);
  }

  /**
   * A take within this instance's share, in memory. When a probe is due, the shared store is
   * asked too (for the limit less the local places it does not know, this one included): its
   * answer, granted or not, means it works again; this call has its place locally either way.
   */
  private async takeLocally(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk: boolean,
  ): Promise<TakeResult> {
    const share = Math.floor(limit / this.instances);
    const local = this.mine.take(key, id, share, holdMs, bulk);
    if (!local.granted) return local;
    this.localOnly.take(key, id, UNLIMITED, holdMs);
    if (!this.probing && this.now() - this.lastProbeAt >= this.probeIntervalMs) {
      await this.probe(key, id, limit, holdMs, bulk);
    }
    return local;
  }

  private async probe(
    key: string,
    id: string,
    limit: number,
    holdMs: number,
    bulk: boolean,
  ): Promise<void> {
    this.probing = true;
    this.lastProbeAt = this.now();
    try {
      const unknown = this.localOnly.held(key);
      const result = await this.shared.tryTake(key, id, Math.max(0, limit - unknown), holdMs, bulk);
      if (result.granted) this.heldShared(id, holdMs);
      this.switchTo('shared');
    } catch {
      // Still failing: stay local.
    } finally {
      this.probing = false;
    }
  }

  private switchTo(state: FallbackState, error?: unknown): void {
    if (this.current === state) return;
    this.current = state;
    if (state === 'local') this.lastProbeAt = this.now();
    try {
      this.onStateChange?.(state, error);
    } catch {
      // A failing listener (e.g. a logger) must not break pacing.
    }
  }
}
