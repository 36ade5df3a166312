/**
 * Defaults of {@link AdaptiveMargin}; see `AdaptiveMarginOptions` for what each means.
 *
 * - `minMs` 4: the spread a healthy loopback or data-centre link shows anyway (timers fire on whole
 *   milliseconds, a GC pause takes a few), so a margin never rests below what the next call may
 *   need without the link having shown it.
 * - `maxMs` 100: a margin that wide already costs 9% of the limit; a link varying by more than
 *   that needs fixing, not pacing around.
 * - `initialMs` 30: the margin before there is a sample to go by (the fixed margin of earlier
 *   versions, measured safe on a fresh module).
 * - `sampleMs` 1,200: the round trips of the last 1.2 s: one upstream window plus the widest
 *   margin and some slack, so a margin only shrinks once every call that could still share a
 *   window with the next one came back fast, and no later (a longer sample costs throughput for
 *   as long as a slow start stays in it).
 * - `minSamples` 32: fewer say too little of the spread.
 * - `throttleHoldMs` 10,000: after an upstream 429 the margin stays at `maxMs` this long.
 */
export const ADAPTIVE_MARGIN_DEFAULTS = {
  minMs: 4,
  maxMs: 100,
  initialMs: 30,
  sampleMs: 1_200,
  minSamples: 32,
  throttleHoldMs: 10_000,
} as const;

/** Round trips kept at most: the sample window at well over the limit of any one AppId. */
const MAX_SAMPLES = 4_096;

/** How often the estimate is recomputed at most, in ms: a sort of the sample, not one per call. */
const RECOMPUTE_EVERY_MS = 100;

/**
 * How soon a round trip outside the margin recomputes it, in ms: soon enough to widen within a
 * few calls, rarely enough that a link whose spread sits at the margin does not sort the sample
 * on every call.
 */
const WIDEN_CHECK_EVERY_MS = 10;

/** The share of the highest and lowest round trips left out of the spread: a robust range. */
const TAIL = 0.01;

export interface AdaptiveMarginOptions {
  /** Least margin, in ms; default 4. */
  minMs?: number;
  /** Most margin, in ms, and the margin after an upstream 429; default 100. */
  maxMs?: number;
  /** Margin until `minSamples` round trips were seen, in ms; default 30. */
  initialMs?: number;
  /** Round trips of the last this many ms make the sample, at least `1000 + maxMs`; default 1,200. */
  sampleMs?: number;
  /** Round trips needed before the sample decides; default 32. */
  minSamples?: number;
  /** How long an upstream 429 holds the margin at `maxMs`, in ms; default 10,000. */
  throttleHoldMs?: number;
  /** Current time in ms, monotonic; defaults to `performance.now()`. */
  now?: () => number;
}

/**
 * The safety margin the call budget paces with, following the link instead of being sized for any
 * link. The budget keeps every span of `1000 + margin` ms to the limit; that holds the upstream's
 * one-second windows to it as long as the calls' arrival delays vary by no more than the margin.
 * The client cannot see arrivals, but a call's round trip (from the take that granted it to its
 * answer) holds its arrival delay, plus the way back: so the margin is the spread of recent round
 * trips, the 99th minus the 1st percentile over the last `sampleMs` (robust to a stray outlier,
 * which the budget's burst allowance absorbs), within `[minMs, maxMs]`. The way back is where the
 * estimate errs on the safe side: on a loaded process, the time an answer waits for the event
 * loop widens the spread (measured through the demo app with three instances on two cores: round
 * trips spread about twice as much as the arrivals did).
 *
 * It widens at once, when a slower round trip arrives, and shrinks only as the slow ones leave the
 * sample, so a shrunk margin has covered every call that could share an upstream window with the
 * next one. An upstream 429 (it throttled anyway: the margin was too small for what the link did)
 * holds the margin at `maxMs` for `throttleHoldMs`.
 */
export class AdaptiveMargin {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly sampleMs: number;
  private readonly minSamples: number;
  private readonly throttleHoldMs: number;
  private readonly now: () => number;
  /** A ring of (time, round trip) pairs, oldest at `head`. */
  private readonly times = new Float64Array(MAX_SAMPLES);
  private readonly trips = new Float64Array(MAX_SAMPLES);
  private head = 0;
  private size = 0;
  private estimate: number;
  private median = NaN;
  /** The sample's 1st percentile at the last recomputation. */
  private low = NaN;
  private estimatedAt = -Infinity;
  private stale = false;
  private heldUntil = -Infinity;

  constructor(options: AdaptiveMarginOptions = {}) {
    const o = { ...ADAPTIVE_MARGIN_DEFAULTS, ...definedOnly(options) };
    const problems: string[] = [];
    if (!(Number.isInteger(o.minMs) && o.minMs >= 0)) problems.push('minMs must be an integer ≥ 0');
    if (!(Number.isInteger(o.maxMs) && o.maxMs >= o.minMs)) {
      problems.push('maxMs must be an integer ≥ minMs');
    }
    if (!(Number.isInteger(o.initialMs) && o.initialMs >= o.minMs && o.initialMs <= o.maxMs)) {
      problems.push('initialMs must be an integer from minMs to maxMs');
    }
    if (!(o.sampleMs >= 1_000 + o.maxMs)) {
      problems.push('sampleMs must be at least 1000 + maxMs (a window and its widest margin)');
    }
    if (!(Number.isInteger(o.minSamples) && o.minSamples >= 1)) {
      problems.push('minSamples must be a positive integer');
    }
    if (!(o.throttleHoldMs >= 0)) problems.push('throttleHoldMs must be a number ≥ 0');
    if (problems.length > 0) throw new RangeError(problems.join('; '));
    this.minMs = o.minMs;
    this.maxMs = o.maxMs;
    this.sampleMs = o.sampleMs;
    this.minSamples = o.minSamples;
    this.throttleHoldMs = o.throttleHoldMs;
    this.estimate = o.initialMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** Records one call's round trip, from the take that granted it to its answer, in ms. */
  observe(roundTripMs: number): void {
    if (!(roundTripMs >= 0)) return;
    const now = this.now();
    if (this.size === MAX_SAMPLES) {
      this.head = (this.head + 1) % MAX_SAMPLES;
      this.size--;
    }
    const at = (this.head + this.size) % MAX_SAMPLES;
    this.times[at] = now;
    this.trips[at] = roundTripMs;
    this.size++;
    // A slower round trip than the margin covers widens it within a few calls; anything else can
    // wait for the next recomputation.
    const outside = roundTripMs - this.low > this.estimate;
    if (outside && now - this.estimatedAt >= WIDEN_CHECK_EVERY_MS) this.recompute(now);
    else this.stale = true;
  }

  /** The upstream throttled a call: holds the margin at its most for a while. */
  throttled(): void {
    this.heldUntil = this.now() + this.throttleHoldMs;
  }

  /**
   * The sample's 1st percentile as of the last recomputation, in ms: about the least delay from a
   * grant to the upstream, as far as round trips tell; `NaN` before there was a sample to go by.
   * It does not recompute: read it after `current()`, which keeps it as fresh as the margin.
   */
  earliestRoundTripMs(): number {
    return this.low;
  }

  /** The median round trip of the sample, in ms; `NaN` before there was one to go by. */
  typicalRoundTripMs(): number {
    this.current();
    return this.median;
  }

  /** The margin in force, in whole ms. */
  current(): number {
    const now = this.now();
    if (now < this.heldUntil) return this.maxMs;
    if (this.stale && now - this.estimatedAt >= RECOMPUTE_EVERY_MS) this.recompute(now);
    return this.estimate;
  }

  private recompute(now: number): void {
    this.stale = false;
    this.estimatedAt = now;
    while (this.size > 0 && now - this.times[this.head] > this.sampleMs) {
      this.head = (this.head + 1) % MAX_SAMPLES;
      this.size--;
    }
    // Too few round trips left in the sample (a quiet spell): keep the margin the last busy
    // period needed rather than guess from a handful.
    if (this.size < this.minSamples) return;
    const sorted = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) sorted[i] = this.trips[(this.head + i) % MAX_SAMPLES];
    sorted.sort();
    this.median = sorted[sorted.length >> 1];
    const low = (this.low = sorted[Math.floor(TAIL * (sorted.length - 1))]);
    const high = sorted[Math.ceil((1 - TAIL) * (sorted.length - 1))];
    this.estimate = Math.min(this.maxMs, Math.max(this.minMs, Math.ceil(high - low)));
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
