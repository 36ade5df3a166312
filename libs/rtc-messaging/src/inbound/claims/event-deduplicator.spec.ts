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
