import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { ArrivalHint, GcraRate, RateLimitStore, TakeResult } from './rate-limit-store.interface';

/** Which store decides: the shared one, or this instance's memory while the shared one fails. */
export type FallbackState = 'shared' | 'local';

/** Least time between two attempts to return to a failed shared store, unless told otherwise. */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;

export interface FallbackRateLimitStoreOptions {
  /**
   * This instance's own rate while local, given the shared one: its share of the limit. (Not just
   * the shared interval times the instances: each instance's burst would then add up.)
   */
  localRateOf: (rate: GcraRate) => GcraRate;
  /**
   * How long after returning to the shared store a take also needs the local rate, in ms: the
   * span the shared rate bounds, after which no grant made while local can share a span with new
   * ones.
   */
  guardMs: number;
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
 * - while shared, every grant is also taken locally (a refusal there is ignored: the local TAT is
 *   then already as far ahead as a take can push it), so that a switch to local starts from this
 *   instance's recent pace instead of a fresh burst;
 * - for `guardMs` after returning, a take needs the local rate as well as the shared store,
 *   because the shared store does not know the grants made while local.
 * What remains unguarded is a partition in which some instances still reach the shared store
 * while others are local; the shared store does not see the local grants.
 */
export class FallbackRateLimitStore implements RateLimitStore {
  private readonly local: MemoryRateLimitStore;
  private readonly localRateOf: (rate: GcraRate) => GcraRate;
  private readonly guardMs: number;
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
    if (!(options.guardMs >= 0)) throw new RangeError('guardMs must be a number ≥ 0');
    this.localRateOf = options.localRateOf;
    this.guardMs = options.guardMs;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
    this.onStateChange = options.onStateChange;
    this.local = new MemoryRateLimitStore({ now: this.now });
  }

  /** Which store decides now. */
  get state(): FallbackState {
    return this.current;
  }

  async tryTake(key: string, rate: GcraRate, arrival?: ArrivalHint): Promise<TakeResult> {
    const localRate = this.localRateOf(rate);
    if (this.current === 'local') {
      const local = await this.local.tryTake(key, localRate);
      const probeDue = !this.probing && this.now() - this.lastProbeAt >= this.probeIntervalMs;
      // The probe is a real take that was granted locally, so it never exceeds the local share
      // and a successful probe spends no extra unit.
      return local.granted && probeDue ? this.probe(key, rate, arrival) : local;
    }

    const guarded = this.now() < this.guardedUntil;
    if (guarded) {
      const local = await this.local.tryTake(key, localRate);
      if (!local.granted) return local;
    }
    let result: TakeResult;
    try {
      result = await this.shared.tryTake(key, rate, arrival);
    } catch (error) {
      this.switchTo('local', error);
      // When guarded, the local unit is already taken and is this call's grant.
      return guarded ? { granted: true } : this.local.tryTake(key, localRate);
    }
    if (result.granted && !guarded) {
      // Mirror only: a refusal means the local TAT is already as far ahead as takes can push it.
      await this.local.tryTake(key, localRate);
    }
    return result;
  }

  /** Closes the local store; the shared store belongs to whoever made it. */
  async close(): Promise<void> {
    await this.local.close();
  }

  /** One take against the shared store while local; `granted` by the local share already. */
  private async probe(key: string, rate: GcraRate, arrival?: ArrivalHint): Promise<TakeResult> {
    this.probing = true;
    this.lastProbeAt = this.now();
    try {
      const result = await this.shared.tryTake(key, rate, arrival);
      this.guardedUntil = this.now() + this.guardMs;
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
