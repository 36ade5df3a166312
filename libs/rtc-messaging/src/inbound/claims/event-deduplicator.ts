import { randomBytes } from 'node:crypto';
import type { RtcLogger } from '../../telemetry/rtc-logger';
import { orDeadline } from '../or-deadline';
import type { RtcEventClaimStore } from './event-claim-store.interface';

/** How long a running claim lasts unless renewed: an instance that died frees it this soon. */
export const DEFAULT_CLAIM_LEASE_MS = 30_000;
/**
 * How long a run keeps its claim alive at most: a handler that hangs must not hold its event
 * forever (every retry would wait, then 503). Past this the lease lapses and a retry runs it.
 */
export const DEFAULT_MAX_RUN_MS = 600_000;
/** How often a delivery that waits for another's run looks at the store. */
export const DEFAULT_CLAIM_POLL_MS = 20;

/** What one delivery's run came to. */
export interface DeduplicatedRun {
  readonly outcome: 'handled' | 'duplicate' | 'failed' | 'timed_out';
  /** How long the handler ran, in ms, when this delivery ran it and it finished in time. */
  readonly handlerMs?: number;
  /** Why it failed: the handler's error, or the store's. */
  readonly error?: unknown;
  /** Whether the failure was the store's (the handler did not run). */
  readonly storeFailed?: boolean;
}

/** Settings of the de-duplicator. */
export interface EventDeduplicatorOptions {
  /** How long a handled event is remembered, from when its handler succeeded. */
  readonly claimTtlMs: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  /** How long a run renews its claim at most; see `DEFAULT_MAX_RUN_MS`. */
  readonly maxRunMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const DUPLICATE: DeduplicatedRun = Object.freeze({ outcome: 'duplicate' });
const TIMED_OUT_RUN: DeduplicatedRun = Object.freeze({ outcome: 'timed_out' });

/** Reports how long a handler ran and how it ended, whether or not its delivery still waited. */
export type HandlerSettled = (ms: number, outcome: 'handled' | 'failed') => void;

/** A claim this process holds while its handler runs: renewed until the handler settles. */
interface HeldClaim {
  readonly key: string;
  readonly owner: string;
  readonly startedAt: number;
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | null)?.then === 'function';

/**
 * Exactly-once handling of events delivered at least once, over an `RtcEventClaimStore`:
 * - the first delivery claims the event and runs the handler; success marks it handled for
 *   `claimTtlMs`, failure releases the claim so RTC's retry runs it again;
 * - a delivery of a handled event does not run it (`duplicate`);
 * - a delivery that arrives while another runs it waits for that run's outcome and answers the
 *   same: `duplicate` once handled, `failed` once released;
 * - at the deadline a delivery stops waiting (`timed_out`: a 503), while the run goes on and
 *   settles the claim for the retry.
 *
 * It runs once per delivery, so it keeps to few promises and timers (see bench/README.md, `npm
 * run bench:inbound`): one renewal timer for every claim held, not one per run, and owners named
 * by a counter under a random prefix rather than a UUID each.
 */
export class EventDeduplicator {
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxRunMs: number;
  /** Handler runs not settled yet, including those whose delivery was answered 503. */
  private readonly running = new Set<Promise<DeduplicatedRun>>();
  /** Claims whose handler runs, renewed together every `leaseMs / 3`. */
  private readonly held = new Set<HeldClaim>();
  private renewal?: NodeJS.Timeout;
  /** Owners are `<prefix>.<n>`: unique across instances by the random prefix. */
  private readonly ownerPrefix = randomBytes(12).toString('base64url');
  private owners = 0;

  constructor(
    private readonly store: RtcEventClaimStore,
    private readonly options: EventDeduplicatorOptions,
    private readonly logger: RtcLogger,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.pollMs = options.pollMs ?? DEFAULT_CLAIM_POLL_MS;
    this.maxRunMs = options.maxRunMs ?? DEFAULT_MAX_RUN_MS;
  }

  /**
   * Runs `handler` for `key` unless it ran (or runs) elsewhere; never rejects.
   * @param deadlineAt `performance.now()` time by which the delivery must be answered
   * @param settled told how long the handler ran and how it ended, even after the deadline
   */
  async runOnce(
    key: string,
    deadlineAt: number,
    handler: () => unknown,
    settled?: HandlerSettled,
  ): Promise<DeduplicatedRun> {
    const owner = `${this.ownerPrefix}.${++this.owners}`;
    let claim;
    try {
      claim = await this.store.claim(key, owner, this.leaseMs);
    } catch (error) {
      return { outcome: 'failed', error, storeFailed: true };
    }
    if (!claim.claimed) {
      return claim.state === 'handled' ? DUPLICATE : this.waitForOutcome(key, deadlineAt);
    }
    const run = this.runClaimed({ key, owner, startedAt: performance.now() }, handler, settled);
    this.running.add(run);
    // runClaimed never rejects.
    void run.then(() => this.running.delete(run));
    return orDeadline(run, deadlineAt - performance.now(), TIMED_OUT_RUN);
  }

  /**
   * Waits for the handler runs still going (those answered 503 at their deadline too), at most
   * `timeoutMs`, so their claims are settled before the store's connection closes. Resolves with
   * how many are still running.
   */
  async drain(timeoutMs: number): Promise<number> {
    if (this.running.size > 0) {
      await orDeadline(Promise.allSettled([...this.running]), timeoutMs);
    }
    if (this.held.size === 0) {
      clearInterval(this.renewal);
      this.renewal = undefined;
    }
    return this.running.size;
  }

  private async runClaimed(
    claim: HeldClaim,
    handler: () => unknown,
    settled: HandlerSettled | undefined,
  ): Promise<DeduplicatedRun> {
    const { key, owner, startedAt } = claim;
    this.hold(claim);
    try {
      // A handler that returns at once is not awaited: one promise fewer per delivery.
      const result = handler();
      if (isPromiseLike(result)) await result;
    } catch (error) {
      this.held.delete(claim);
      settled?.(performance.now() - startedAt, 'failed');
      await this.store.release(key, owner).catch((storeError: unknown) => {
        // The lease then frees it: RTC's retry after that runs the handler again.
        this.logger.warn(`RTC event claim could not be released: ${describe(storeError)}`);
      });
      return { outcome: 'failed', error };
    }
    const handlerMs = performance.now() - startedAt;
    this.held.delete(claim);
    settled?.(handlerMs, 'handled');
    try {
      await this.store.complete(key, owner, this.options.claimTtlMs);
    } catch (error) {
      // The handler succeeded: the answer is 200 (a retry would run it again). The running
      // claim lapses with its lease, so a later duplicate could run it; say so.
      this.logger.error(
        `RTC event handled, but its claim could not be marked handled (a later duplicate may run it again): ${describe(error)}`,
      );
    }
    return { outcome: 'handled', handlerMs };
  }

  /**
   * Keeps `claim` renewed while its handler runs: one timer renews every held claim each
   * `leaseMs / 3`, so each is renewed within a third of its lease from its start, as a timer of
   * its own would. The timer stops at the first tick that finds no claim held, not when the last
   * one goes: under steady traffic it is not set up and torn down for each delivery.
   */
  private hold(claim: HeldClaim): void {
    this.held.add(claim);
    if (this.renewal) return;
    this.renewal = setInterval(() => this.renewHeld(), this.leaseMs / 3);
    this.renewal.unref();
  }

  private renewHeld(): void {
    if (this.held.size === 0) {
      clearInterval(this.renewal);
      this.renewal = undefined;
      return;
    }
    const now = performance.now();
    for (const claim of this.held) {
      if (now - claim.startedAt > this.maxRunMs) {
        // A hung handler must not hold its event forever: its lease lapses, a retry runs it.
        this.held.delete(claim);
        this.logger.warn(
          `RTC event handler still running after ${this.maxRunMs} ms: its claim lapses, and RTC's next retry may run it again`,
        );
        continue;
      }
      this.store.renew(claim.key, claim.owner, this.leaseMs).catch((error: unknown) => {
        this.logger.warn(`RTC event claim could not be renewed: ${describe(error)}`);
      });
    }
  }

  private async waitForOutcome(key: string, deadlineAt: number): Promise<DeduplicatedRun> {
    for (;;) {
      const left = deadlineAt - performance.now();
      if (left <= 0) return TIMED_OUT_RUN;
      await sleep(Math.min(this.pollMs, left));
      let state;
      try {
        state = await this.store.state(key);
      } catch (error) {
        return { outcome: 'failed', error, storeFailed: true };
      }
      if (state === 'handled') return DUPLICATE;
      // Released: the run this delivery waited for failed; its answer was a failure too.
      if (state === undefined) return { outcome: 'failed' };
    }
  }
}

/** An error's class and message, for a log line about the store (which names no secret). */
export const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
