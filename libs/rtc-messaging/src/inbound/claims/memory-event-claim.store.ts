import {
  RtcEventClaim,
  RtcEventClaimState,
  RtcEventClaimStore,
} from './event-claim-store.interface';

interface Entry {
  /** `undefined` once handled. */
  readonly owner: string | undefined;
  readonly expiresAt: number;
}

/**
 * Claims in this process's memory: bounded (the oldest entries go first once `maxEntries` are
 * kept) and expiring (`expiresAt` from the clock given, `Date.now` by default). For one instance;
 * instances behind a load balancer share a `RedisEventClaimStore`.
 */
export class MemoryEventClaimStore implements RtcEventClaimStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 1)) {
      throw new RangeError('maxEntries must be a whole number ≥ 1');
    }
  }

  async claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim> {
    const entry = this.live(key);
    if (entry) return { claimed: false, state: entry.owner === undefined ? 'handled' : 'running' };
    this.put(key, { owner, expiresAt: this.now() + leaseMs });
    return { claimed: true };
  }

  async renew(key: string, owner: string, leaseMs: number): Promise<boolean> {
    if (this.live(key)?.owner !== owner) return false;
    this.put(key, { owner, expiresAt: this.now() + leaseMs });
    return true;
  }

  async state(key: string): Promise<RtcEventClaimState> {
    const entry = this.live(key);
    return entry === undefined ? undefined : entry.owner === undefined ? 'handled' : 'running';
  }

  async complete(key: string, owner: string, ttlMs: number): Promise<void> {
    const entry = this.live(key);
    // Another owner holds it only if this one's lease lapsed; theirs stands.
    if (entry !== undefined && entry.owner !== owner) return;
    this.put(key, { owner: undefined, expiresAt: this.now() + ttlMs });
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.live(key)?.owner === owner) this.entries.delete(key);
  }

  /** Events remembered now (expired ones may count until they are next looked at). */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Re-inserts `key` last (the Map keeps insertion order), then trims the oldest. */
  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
