import type { GcraRate } from './rate-limit-store.interface';

/** The largest burst `paceFor` chooses; see there. */
const MAX_BURST = 4;

/**
 * How much longer than `windowMs / (limit - burst)` the emission interval is, relatively: enough
 * to make it strictly longer, which is what keeps a span of exactly `windowMs` (ends included)
 * from holding one grant too many, far beyond the rounding of sums of fractional milliseconds, and
 * far too little to cost throughput.
 */
const INTERVAL_STRETCH = 1 + 1e-9;

/**
 * The GCRA rate under which no span of `windowMs` ms, ends included, holds more than `limit`
 * grants, whoever takes them and whenever they try.
 *
 * Why: after a grant at `t`, GCRA grants the k-th next one no earlier than `t + (k - B) × T`
 * (each grant pushes the TAT on by at least T, and a take needs `now >= TAT - B × T`). So a closed
 * span of W ms holds at most `floor(W / T) + B + 1` grants, which is at most `limit` exactly when
 * `W / T < limit - B`, i.e. `T > W / (limit - B)`. The sustained pace is then just under
 * `limit - B` per window: each unit of burst costs one unit of throughput per window.
 *
 * The burst B is `floor(limit / 100)`, at least 1 and at most 4 (and at most `limit - 1`):
 * - it absorbs the lateness of whoever takes: a take that comes late (a 1 ms timer rounded up,
 *   an event-loop stall, a Redis round trip) is granted ahead of pace while the lateness is under
 *   `B × T`, so the sustained pace is kept rather than lost a little on every grant. With
 *   B ≈ limit / 100 that tolerance is about 10 ms (8.3 ms at 500/s with the default margin);
 * - it lets a call and its immediate retry (or a couple of calls) go out together even at a
 *   limit of 2, as the old window-based budget did;
 * - it stays small, so the grants leave evenly spaced: at most B + 1 back to back, so the calls
 *   they release do not queue up behind one another on their way out (the very jitter the
 *   safety margin has to cover). At 500/s the four units cost 0.8% of the limit.
 * At `limit` 1 the burst is 0 and the interval just over the window: one call per window.
 */
export function paceFor(limit: number, windowMs: number): GcraRate {
  const burst = Math.min(limit - 1, Math.max(1, Math.min(MAX_BURST, Math.floor(limit / 100))));
  return { intervalMs: (windowMs / (limit - burst)) * INTERVAL_STRETCH, burst };
}

/** What GCRA decides for a take at `now` on a key whose TAT is `tat` (`undefined`: no state). */
export type GcraDecision =
  | { readonly granted: true; /** The key's new TAT. */ readonly tat: number }
  | { readonly granted: false; readonly retryAfterMs: number };

/**
 * One GCRA take: granted iff `now >= TAT - burst × interval`, which moves the TAT to
 * `max(TAT, now) + interval`; refused otherwise, with the whole milliseconds (≥ 1, rounded up)
 * until `TAT - burst × interval`, and the TAT left as it was. Times in ms, any origin.
 */
export function gcraTake(tat: number | undefined, now: number, rate: GcraRate): GcraDecision {
  const allowAt = (tat ?? now) - rate.burst * rate.intervalMs;
  if (now >= allowAt) return { granted: true, tat: Math.max(tat ?? now, now) + rate.intervalMs };
  return { granted: false, retryAfterMs: Math.max(1, Math.ceil(allowAt - now)) };
}

/**
 * The rate bulk takes ask for: the same interval with one unit of burst fewer (when there are at
 * least two), so that while bulk work keeps a key busy its TAT stays at least one interval short
 * of what the full rate allows, and an interactive take, which asks for the full rate, is granted
 * at once, on whichever instance it comes from. Bulk work loses nothing of the sustained pace,
 * only one unit of the lateness the burst absorbs (see `paceFor`). With a burst of one there is
 * no unit to spare: precedence then holds within each instance only.
 */
export function bulkRateOf(rate: GcraRate): GcraRate {
  return rate.burst >= 2 ? { intervalMs: rate.intervalMs, burst: rate.burst - 1 } : rate;
}
