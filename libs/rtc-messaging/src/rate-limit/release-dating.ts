/**
 * Dating a release without the release's own trip to the store.
 *
 * A release dated by the store when it arrives (Redis's `TIME` inside the script) is on the safe
 * side of the bound (see `WindowPlaces`), but late by everything between the answer and the
 * script: the instance's event-loop lag before the release is written, the queue in front of it
 * at the store. Each of those milliseconds holds the place that much longer, and on a loaded
 * machine they are tens to hundreds per call. The take's own trip already gives the store's time
 * at a local moment, so the release can be dated from it instead:
 *
 * ## Why the dated time is never before the answer
 * Let `R(t)` be the store's clock at local monotonic time `t`. The take was sent at local `t0`
 * (`sentAt`) and ran at the store at `T_take` (`takenAt`, what the take returned); it ran after it
 * was sent, so `T_take ≥ R(t0)`. The call's answer came at the upstream no later than the
 * instance saw it, at local `t1` (`seenAt`): in the store's clock, `answer ≤ R(t1)`. If the two
 * clocks ran at the same rate, `R(t1) = R(t0) + (t1 − t0)`, so
 *
 *     T_take + (t1 − t0) ≥ R(t0) + (t1 − t0) = R(t1) ≥ answer.
 *
 * They do not quite: two quartz clocks drift apart by up to a few hundred ppm at worst (tens in
 * practice), so `R(t1) ≤ R(t0) + (t1 − t0) × (1 + ρ)`. `DRIFT_ALLOWANCE` adds `ρ = 0.1%` of the
 * span, ten times the worst drift a healthy clock shows, and `DATING_SLACK_MS` covers the clocks'
 * resolution and rounding: `answeredBy ≥ answer` as long as the store's clock does not run more
 * than 0.1% faster than the instance's, or step (a wall clock stepped forward by NTP between a
 * take and its release; the store's own dating on arrival has the same exposure). ∎
 *
 * The store then holds the place until the earlier of this time and its own time on arrival,
 * plus the window: both are at or after the answer, so the earlier is too, and the bound holds.
 * What it saves is the release's trip; what it keeps is the take's forward trip (`T_take − R(t0)`),
 * which the store's time of the take already contains.
 *
 * `t1 − t0` must come from a monotonic clock (`performance.now()`): a wall clock stepped back
 * between the take and the answer would make the span, and the hold, too short.
 */
export const DATING_SLACK_MS = 1;

/** The share of the span added for the two clocks' drift (0.1%, see above). */
export const DRIFT_ALLOWANCE = 0.001;

/**
 * A time by the store's clock no earlier than the answer of the call whose take the store ran at
 * `takenAt` (see above for why).
 * @param takenAt the store's time of the take, in ms, as the take returned it
 * @param sentAt the instance's monotonic time when it sent the take, in ms
 * @param seenAt the instance's monotonic time when it saw the call's answer (or gave up), in ms
 */
export function answeredBy(takenAt: number, sentAt: number, seenAt: number): number {
  const span = Math.max(0, seenAt - sentAt);
  return takenAt + span + DATING_SLACK_MS + span * DRIFT_ALLOWANCE;
}
