/**
 * How long one recipient of a bulk send (a fan-out recipient, a batch chunk) may wait for the
 * call budget, instead of the budget's `maxWaitMs`.
 *
 * `maxWaitMs` (1 s by default) suits a single request that a user waits for. A bulk send asked for
 * every recipient to be sent, and holds at most `concurrency` callers in the budget's queue, so it
 * waits its turn there: when other traffic (or other instances) takes most of the budget, it slows
 * down rather than dropping recipients. A minute without budget means the budget is starved, and
 * the recipient is refused with the budget's `RtcRateLimitedError`.
 */
export const BULK_BUDGET_WAIT_MS = 60_000;
