import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Which store decides: the shared one, or this instance's memory while the shared one fails. */
export type FallbackState = 'shared' | 'local';

/** Least time between two attempts to return to a failed shared store, unless told otherwise. */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

export interface FallbackRateLimitStoreOptions {
  /** Instances sharing the limit; while local, each takes `floor(limit / instances)`. */
  instances: number;
  /** Least time between two attempts to use the failed shared store again, in ms. */
  probeIntervalMs?: number;
  /** Current time in ms, monotonic; defaults to `performance.now()`. */
  now?: () => number;
  /** Told on every switch between the shared store and the local one. */
  onStateChange?: (state: FallbackState, error?: unknown) => void;
}

/**
 * A shared store (Redis) that degrades to this instance's share of the limit, kept in memory,
 * while the shared store fails, and returns to it once a probe succeeds.
 *
 * The switches are made conservative, because grants on one side are unknown to the other:
 * - while shared, every grant is also logged locally (without being refused there), so that a
 *   switch to local counts this instance's grants of the last window;
 * - for one window after returning, a take needs the local share as well as the shared store,
 *   because the shared store does not know the grants made while local.
 * What remains unguarded is a partition in which some instances still reach the shared store
 * while others are local; the shared store does not see the local grants.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  private readonly local: MemoryRateLimitStore;
  private readonly instances: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;
  private readonly onStateChange?: (state: FallbackState, error?: unknown) => void;
  private current: FallbackState = 'shared';
  private lastProbeAt = -Infinity;
  private probing = false;
  private guardedUntil = -Infinity;

  constructor(
    private readonly shared: RateLimitStore,
    options: FallbackRateLimitStoreOptions,
  ) {
    if (!Number.isInteger(options.instances) || options.instances < 1) {
      throw new RangeError('instances must be a positive integer');
    }
    this.instances = options.instances;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
    this.onStateChange = options.onStateChange;
    this.local = new MemoryRateLimitStore({ now: this.now });
  }

  /** Which store decides now. */
  get state(): FallbackState {
    return this.current;
  }

  /** This instance's share of `limit` while local. */
  shareOf(limit: number): number {
    return Math.floor(limit / this.instances);
  }

  async tryTake(key: string, limit: number, windowMs: number): Promise<TakeResult> {
    const share = this.shareOf(limit);
    if (this.current === 'local') {
      const local = await this.local.tryTake(key, share, windowMs);
      const probeDue = !this.probing && this.now() - this.lastProbeAt >= this.probeIntervalMs;
      // The probe is a real take that was granted locally, so it never exceeds the local share
      // and a successful probe spends no extra unit.
      return local.granted && probeDue ? this.probe(key, limit, windowMs) : local;
    }

    const guarded = this.now() < this.guardedUntil;
    if (guarded) {
      const local = await this.local.tryTake(key, share, windowMs);
      if (!local.granted) return local;
    }
    let result: TakeResult;
    try {
      result = await this.shared.tryTake(key, limit, windowMs);
    } catch (error) {
      this.switchTo('local', error);
      // When guarded, the local unit is already taken and is this call's grant.
      return guarded ? { granted: true } : this.local.tryTake(key, share, windowMs);
    }
    if (result.granted && !guarded) {
      // Mirror only; a full local log already holds enough of this instance's recent grants.
      await this.local.tryTake(key, share, windowMs);
    }
    return result;
  }

  /** Closes the local store; the shared store belongs to whoever made it. */
  async close(): Promise<void> {
    await this.local.close();
  }

  /** One take against the shared store while local; `granted` by the local share already. */
  private async probe(key: string, limit: number, windowMs: number): Promise<TakeResult> {
    this.probing = true;
    this.lastProbeAt = this.now();
    try {
      const result = await this.shared.tryTake(key, limit, windowMs);
      this.guardedUntil = this.now() + windowMs;
      this.switchTo('shared');
      return result;
    } catch {
      return { granted: true };
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
