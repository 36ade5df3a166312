import { EventDeduplicator } from './event-deduplicator';
import { MemoryEventClaimStore } from './memory-event-claim.store';

const silent = { log: () => undefined, warn: jest.fn(), error: () => undefined };

describe('EventDeduplicator leases', () => {
  afterEach(() => jest.useRealTimers());

  it('renews a running claim while its handler runs, and stops after maxRunMs so a hung handler frees its event', async () => {
    jest.useFakeTimers();
    const clock = { ms: 0 };
    const store = new MemoryEventClaimStore(10, () => clock.ms);
    const dedup = new EventDeduplicator(
      store,
      { claimTtlMs: 60_000, leaseMs: 3_000, maxRunMs: 10_000 },
      silent,
    );
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const answer = dedup.runOnce('e1', performance.now() + 100, () => hung);
    await jest.advanceTimersByTimeAsync(100);
    expect(await answer).toEqual({ outcome: 'timed_out' });
    // Each renewal (every leaseMs / 3) extends the lease; the clock of the store moves with it.
    for (let t = 1_000; t <= 9_000; t += 1_000) {
      clock.ms = t;
      await jest.advanceTimersByTimeAsync(1_000);
      expect(await store.state('e1')).toBe('running');
    }
    // Past maxRunMs the renewals stop, and the lease lapses within leaseMs.
    await jest.advanceTimersByTimeAsync(3_000);
    clock.ms = 9_000 + 3_000 + 1_000;
    expect(await store.state('e1')).toBeUndefined();
    expect(silent.warn).toHaveBeenCalledWith(
      expect.stringContaining('still running after 10000 ms'),
    );
    release();
  });
});

describe('EventDeduplicator timers', () => {
  afterEach(() => jest.useRealTimers());

  it('renews every held claim with one timer, within a third of the lease, and keeps none once nothing is held', async () => {
    jest.useFakeTimers();
    const store = new MemoryEventClaimStore(10);
    const renew = jest.spyOn(store, 'renew');
    const dedup = new EventDeduplicator(store, { claimTtlMs: 60_000, leaseMs: 3_000 }, silent);
    const releases: Array<() => void> = [];
    const hung = () => new Promise<void>((resolve) => releases.push(resolve));
    const timersBefore = jest.getTimerCount();
    const first = dedup.runOnce('a', performance.now() + 60_000, hung);
    await jest.advanceTimersByTimeAsync(500);
    const second = dedup.runOnce('b', performance.now() + 60_000, hung);
    await jest.advanceTimersByTimeAsync(0);
    // Two deadline timers and one renewal timer, not one renewal timer per claim.
    expect(jest.getTimerCount() - timersBefore).toBe(3);
    // The first tick comes leaseMs / 3 after the first claim: both are renewed in it.
    await jest.advanceTimersByTimeAsync(500);
    expect(renew.mock.calls.map(([key]) => key).sort()).toEqual(['a', 'b']);
    for (const release of releases) release();
    expect(await first).toMatchObject({ outcome: 'handled' });
    expect(await second).toMatchObject({ outcome: 'handled' });
    // The renewal timer stops at its first tick with nothing held.
    await jest.advanceTimersByTimeAsync(1_000);
    expect(jest.getTimerCount()).toBe(timersBefore);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it('runs a handler that returns at once, and releases the claim of one that throws at once', async () => {
    const store = new MemoryEventClaimStore(10);
    const dedup = new EventDeduplicator(store, { claimTtlMs: 60_000 }, silent);
    const settled = jest.fn();
    const ran = jest.fn();
    expect(await dedup.runOnce('sync', performance.now() + 1_000, ran, settled)).toMatchObject({
      outcome: 'handled',
    });
    expect(ran).toHaveBeenCalledTimes(1);
    expect(settled).toHaveBeenLastCalledWith(expect.any(Number), 'handled');
    expect(await dedup.runOnce('sync', performance.now() + 1_000, ran)).toEqual({
      outcome: 'duplicate',
    });
    const boom = new Error('boom');
    const throwing = () => {
      throw boom;
    };
    expect(await dedup.runOnce('throws', performance.now() + 1_000, throwing, settled)).toEqual({
      outcome: 'failed',
      error: boom,
    });
    expect(settled).toHaveBeenLastCalledWith(expect.any(Number), 'failed');
    expect(await store.state('throws')).toBeUndefined();
    expect(ran).toHaveBeenCalledTimes(1);
  });
});
