/** Where an event stands in the store: being handled, handled, or neither (unknown, or released). */
export type RtcEventClaimState = 'running' | 'handled' | undefined;

/** What one `claim` decided. */
export type RtcEventClaim =
  { readonly claimed: true } | { readonly claimed: false; readonly state: 'running' | 'handled' };

/**
 * Where event claims are kept, so that one process (memory) or every instance behind a load
 * balancer (Redis) handles each `EventId` once. Shaped like `RateLimitStore`: each method is one
 * atomic step, and the de-duplicator above it holds the semantics (wait, deadline, release).
 *
 * A claim is `running` for its owner while the handler runs (a lease, renewed while it does, so
 * the claim of an instance that died frees itself), then `handled` for `ttlMs` from the moment
 * it succeeded, or gone when it failed. Every method rejects when the store cannot decide (e.g.
 * Redis is unreachable) within its own time limit.
 */
export interface RtcEventClaimStore {
  /** Claims `key` for `owner` for `leaseMs` unless someone holds it; else says how it stands. */
  claim(key: string, owner: string, leaseMs: number): Promise<RtcEventClaim>;

  /** Extends `owner`'s running claim to `leaseMs` from now; `false` when it is no longer its. */
  renew(key: string, owner: string, leaseMs: number): Promise<boolean>;

  /** How `key` stands now. */
  state(key: string): Promise<RtcEventClaimState>;

  /** `owner`'s handler succeeded: `key` is `handled` for `ttlMs` from now. */
  complete(key: string, owner: string, ttlMs: number): Promise<void>;

  /** `owner`'s handler failed: the claim goes, so a retry runs it again. */
  release(key: string, owner: string): Promise<void>;

  /** Releases what the store owns (never a connection it was given). */
  close?(): Promise<void>;
}
