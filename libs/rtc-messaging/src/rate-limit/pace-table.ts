import { bulkRateOf, paceFor } from './gcra';
import type { GcraRate } from './rate-limit-store.interface';

/** The rates one margin gives: warm and after a cold start, each for interactive and bulk takes. */
export interface Paces {
  readonly warm: GcraRate;
  readonly cold: GcraRate;
  readonly warmBulk: GcraRate;
  readonly coldBulk: GcraRate;
}

/**
 * The GCRA rates a call budget asks its store for, per safety margin, made once each: the margin
 * moves between a few whole-millisecond values, and the local fallback store maps a rate to this
 * instance's share of it by identity.
 */
export class PaceTable {
  private readonly byMargin = new Map<number, Paces>();
  private readonly locals = new Map<GcraRate, GcraRate>();

  /**
   * @param perSecond the limit in any span of one window plus the margin
   * @param coldStartMs how much later the first calls after a quiet spell may arrive
   * @param localShare the limit of this instance's share, when a local fallback may decide
   */
  constructor(
    private readonly perSecond: number,
    private readonly windowMs: number,
    private readonly coldStartMs: number,
    private readonly localShare?: number,
  ) {}

  /** The rates for `marginMs` (a whole number of ms). */
  at(marginMs: number): Paces {
    let paces = this.byMargin.get(marginMs);
    if (!paces) {
      paces = this.make(this.perSecond, marginMs);
      if (this.localShare !== undefined) {
        const local = this.make(this.localShare, marginMs);
        this.locals.set(paces.warm, local.warm);
        this.locals.set(paces.cold, local.cold);
        this.locals.set(paces.warmBulk, local.warmBulk);
        this.locals.set(paces.coldBulk, local.coldBulk);
      }
      this.byMargin.set(marginMs, paces);
    }
    return paces;
  }

  /** This instance's share of `rate`, one of the rates `at` made. */
  localOf(rate: GcraRate): GcraRate {
    const local = this.locals.get(rate);
    if (!local) throw new RangeError('not a rate of this table');
    return local;
  }

  private make(limit: number, marginMs: number): Paces {
    const span = this.windowMs + marginMs;
    const warm = paceFor(limit, span);
    // A window's grants may arrive within `span + coldStartMs` of each other: pace for that.
    const cold = this.coldStartMs > 0 ? paceFor(limit, span + this.coldStartMs) : warm;
    return { warm, cold, warmBulk: bulkRateOf(warm), coldBulk: bulkRateOf(cold) };
  }
}
