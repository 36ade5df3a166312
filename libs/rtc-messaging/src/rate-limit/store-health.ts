import { redactSecrets } from '../errors/rtc-budget-unavailable.error';
import { FallbackRateLimitStore } from './fallback-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';

/** Which store keeps the places: the shared one, the local fallback, or none (calls fail closed). */
export type BudgetStoreState = 'shared' | 'local' | 'unavailable';

/** The key `probe` takes from: neither `appId:` nor `account:`, so no call's key. */
export const STORE_PROBE_KEY = 'health-probe';

/**
 * `maxWaitMs` bounds the wait for a place, judged on the store's answers; the store's own latency
 * comes on top (Redis answers or fails within its timeout). A store still silent this long after a
 * caller's deadline is taken as hung, so that a broken custom store cannot hold callers forever.
 * Shutdown waits this long at most for releases still on their way to the store.
 */
export const STORE_ANSWER_GRACE_MS = 1_000;

/** How soon bulk callers ask a store that failed (or hung) again, in ms. */
export const STORE_RETRY_MS = 1_000;

/** Options of a {@link StoreHealth}. */
export type StoreHealthOptions = {
  /** The callers' default `maxWaitMs`: a store silent longer than it and a grace has hung. */
  readonly maxWaitMs: number;
  readonly windowMs: number;
  /** Monotonic time in ms. */
  readonly now: () => number;
  /** Told on every change of `state`, with the cause's secrets redacted. */
  readonly onStateChange?: (state: BudgetStoreState, error?: unknown) => void;
} & (
  | {
      /** Calls fail while the store does. */
      readonly onStoreError: 'fail-closed';
    }
  | {
      /** Each instance holds a share of the limit in memory while the store fails. */
      readonly onStoreError: 'local';
      /** Instances sharing the limit. */
      readonly instances: number;
      /** Least time between two attempts to return to the failed store, in ms. */
      readonly probeIntervalMs?: number;
    }
);

/**
 * The store's health: which store decides (`state`), what a failure means (fail closed, or fall
 * back to a local share: `FallbackRateLimitStore` around the given store), when silence means it
 * hung, and whether it answers now (`probe`). The budget takes from `store` and reports each
 * answer or failure here; it decides nothing about health itself.
 */
export class StoreHealth {
  /** Where takes and releases go: the given store, or the fallback around it. */
  readonly store: RateLimitStore;
  /** Takes in flight with no answer for longer than this mean the store hung. */
  readonly silenceMs: number;
  private readonly failClosed: boolean;
  private readonly onStateChange?: (state: BudgetStoreState, error?: unknown) => void;
  private current: BudgetStoreState = 'shared';

  constructor(
    private readonly given: RateLimitStore,
    options: StoreHealthOptions,
  ) {
    this.silenceMs = options.maxWaitMs + STORE_ANSWER_GRACE_MS;
    this.onStateChange = options.onStateChange;
    this.failClosed = options.onStoreError === 'fail-closed';
    this.store =
      options.onStoreError === 'fail-closed'
        ? given
        : new FallbackRateLimitStore(given, {
            instances: options.instances,
            probeIntervalMs: options.probeIntervalMs,
            now: options.now,
            windowMs: options.windowMs,
            onStateChange: (state, error) => this.setState(state, error),
          });
  }

  /** Which store keeps the places now. */
  get state(): BudgetStoreState {
    return this.current;
  }

  /** The store answered a take: failing closed, it is back (the fallback says so itself). */
  answered(): void {
    if (this.failClosed) this.setState('shared');
  }

  /** The store failed a take: no store can decide. */
  failed(error: unknown): void {
    this.setState('unavailable', error);
  }

  /** Whether takes in flight since `since` with no answer mean the store hung. */
  hungAt(since: number, now: number): boolean {
    return now - since > this.silenceMs;
  }

  /**
   * Whether the given store answers now: one take of a key no call uses (`STORE_PROBE_KEY`), so
   * no call's place is taken; it frees after one window. `state` only changes when a call asks
   * the store, which a readiness probe cannot wait for. Bounded by the store's own timeout (a
   * Redis store: 250 ms, and at once while its connection is down). Rejects with the store's
   * error, secrets redacted.
   * @param id the probe's place id, unique like any other
   */
  async probe(id: string, windowMs: number): Promise<void> {
    try {
      await this.given.tryTake(STORE_PROBE_KEY, id, Number.MAX_SAFE_INTEGER, windowMs);
    } catch (error) {
      throw redactSecrets(error);
    }
  }

  /** Closes the fallback, then the given store. */
  async close(): Promise<void> {
    if (this.store !== this.given) await this.store.close?.();
    await this.given.close?.();
  }

  private setState(state: BudgetStoreState, error?: unknown): void {
    if (this.current === state) return;
    this.current = state;
    try {
      this.onStateChange?.(state, error === undefined ? undefined : redactSecrets(error));
    } catch {
      // A failing listener (e.g. a logger) must not break pacing.
    }
  }
}
