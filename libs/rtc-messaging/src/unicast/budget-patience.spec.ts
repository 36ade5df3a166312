import { RtcRateLimitedError, RtcUpstreamError } from '../errors';
import { withBudgetPatience } from './budget-patience';

const budgetRefusal = (retryAfterMs: number) => new RtcRateLimitedError(retryAfterMs);
const upstreamThrottle = () =>
  new RtcRateLimitedError(5, { status: 429, code: 'FlowLimitExceeded.QPSOverLimit' });

describe('withBudgetPatience', () => {
  it('tries again after the advised delay while the local budget refuses', async () => {
    const call = jest
      .fn()
      .mockRejectedValueOnce(budgetRefusal(5))
      .mockRejectedValueOnce(budgetRefusal(5))
      .mockResolvedValueOnce('sent');
    await expect(withBudgetPatience(call)).resolves.toBe('sent');
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('rethrows an upstream throttle or any other error at once', async () => {
    for (const error of [upstreamThrottle(), new RtcUpstreamError({ status: 403, code: 'X' })]) {
      const call = jest.fn().mockRejectedValue(error);
      await expect(withBudgetPatience(call)).rejects.toBe(error);
      expect(call).toHaveBeenCalledTimes(1);
    }
  });

  it('gives up with the budget error once its patience is spent', async () => {
    const refusal = budgetRefusal(30);
    const call = jest.fn().mockRejectedValue(refusal);
    await expect(withBudgetPatience(call, undefined, 50)).rejects.toBe(refusal);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('rejects with the signal reason when cancelled during a wait', async () => {
    const controller = new AbortController();
    const call = jest.fn().mockRejectedValue(budgetRefusal(10_000));
    const waiting = withBudgetPatience(call, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBe(controller.signal.reason);
  });
});
