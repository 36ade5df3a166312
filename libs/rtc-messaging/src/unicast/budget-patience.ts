import { setTimeout as sleep } from 'node:timers/promises';
import { RtcRateLimitedError } from '../errors';

/**
 * How long one recipient of a bulk send (a fan-out recipient, a batch chunk) keeps asking the
 * call budget before it is refused.
 *
 * The budget refuses a caller that cannot be served within its `maxWaitMs` (1 s by default),
 * which suits a single request that a user waits for. A bulk send asked for every recipient to
 * be sent, and holds at most `concurrency` callers in the budget, so it waits its turn instead:
 * when other traffic (or other instances) takes most of the budget, it slows down rather than
 * dropping recipients. A minute without budget means the budget is starved, and the recipient is
 * refused with the budget's error.
 */
export const BULK_BUDGET_PATIENCE_MS = 60_000;

/**
 * Runs `call`, and runs it again after the advised delay whenever the local call budget refused
 * it (`RtcRateLimitedError` without `upstream`: the call never left, so another try cannot
 * duplicate it), until `patienceMs` is spent. Anything else, an upstream 429 included (the
 * dispatcher's retry policy owns those), is rethrown at once.
 *
 * @throws the signal's reason when it is aborted during a wait
 */
export async function withBudgetPatience<T>(
  call: () => Promise<T>,
  signal?: AbortSignal,
  patienceMs = BULK_BUDGET_PATIENCE_MS,
): Promise<T> {
  const deadline = performance.now() + patienceMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const budgetRefused = error instanceof RtcRateLimitedError && error.upstream === undefined;
      if (!budgetRefused || performance.now() + error.retryAfterMs > deadline) throw error;
      // Rejects with the signal's reason, as waiting in the budget does.
      await sleep(error.retryAfterMs, undefined, { signal }).catch(() =>
        Promise.reject(signal?.reason),
      );
    }
  }
}
