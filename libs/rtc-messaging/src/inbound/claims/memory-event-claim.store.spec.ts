import { MemoryEventClaimStore } from './memory-event-claim.store';

describe('MemoryEventClaimStore', () => {
  const clock = { ms: 1_000_000 };
  const now = () => clock.ms;
  beforeEach(() => (clock.ms = 1_000_000));

  it('claims once; a second claim sees it running, then handled', async () => {
    const store = new MemoryEventClaimStore(10, now);
    expect(await store.claim('e1', 'a', 1_000)).toEqual({ claimed: true });
    expect(await store.claim('e1', 'b', 1_000)).toEqual({ claimed: false, state: 'running' });
    await store.complete('e1', 'a', 60_000);
    expect(await store.claim('e1', 'b', 1_000)).toEqual({ claimed: false, state: 'handled' });
  });

  it('forgets a handled event when its TTL, counted from completion, has passed', async () => {
    const store = new MemoryEventClaimStore(10, now);
    await store.claim('e1', 'a', 1_000);
    clock.ms += 900;
    await store.complete('e1', 'a', 60_000);
    clock.ms += 59_999;
    expect(await store.state('e1')).toBe('handled');
    clock.ms += 1;
    expect(await store.state('e1')).toBeUndefined();
  });

  it('frees a running claim whose lease lapsed (its instance died), unless renewed', async () => {
    const store = new MemoryEventClaimStore(10, now);
    await store.claim('e1', 'a', 1_000);
    clock.ms += 800;
    expect(await store.renew('e1', 'a', 1_000)).toBe(true);
    clock.ms += 800;
    expect(await store.state('e1')).toBe('running');
    clock.ms += 200;
    expect(await store.state('e1')).toBeUndefined();
    expect(await store.renew('e1', 'a', 1_000)).toBe(false);
    expect(await store.claim('e1', 'b', 1_000)).toEqual({ claimed: true });
  });

  it('release and complete act only on their own claim', async () => {
    const store = new MemoryEventClaimStore(10, now);
    await store.claim('e1', 'a', 1_000);
    await store.release('e1', 'b');
    expect(await store.state('e1')).toBe('running');
    await store.complete('e1', 'b', 60_000);
    expect(await store.state('e1')).toBe('running');
    await store.release('e1', 'a');
    expect(await store.state('e1')).toBeUndefined();
  });

  it('keeps at most maxEntries events, dropping the oldest', async () => {
    const store = new MemoryEventClaimStore(3, now);
    for (const id of ['e1', 'e2', 'e3', 'e4']) {
      await store.claim(id, 'a', 1_000);
      await store.complete(id, 'a', 60_000);
    }
    expect(store.size).toBe(3);
    expect(await store.state('e1')).toBeUndefined();
    expect(await store.state('e4')).toBe('handled');
  });

  it('refuses a bound that is not a whole number ≥ 1', () => {
    expect(() => new MemoryEventClaimStore(0)).toThrow('maxEntries must be a whole number ≥ 1');
  });
});
