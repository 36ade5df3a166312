import { FallbackRateLimitStore } from './fallback-rate-limit.store';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitStore } from './rate-limit-store.interface';
import { BudgetStoreState, STORE_PROBE_KEY, StoreHealth } from './store-health';

const common = { maxWaitMs: 500, windowMs: 1_000, now: () => 0 };

describe('StoreHealth', () => {
  it('failing closed: unavailable on a failure, shared again on the next answer, told once each', () => {
    const states: Array<[BudgetStoreState, unknown]> = [];
    const given = new MemoryRateLimitStore();
    const health = new StoreHealth(given, {
      ...common,
      onStoreError: 'fail-closed',
      onStateChange: (state, error) => states.push([state, error]),
    });
    expect(health.store).toBe(given);
    health.failed(new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.7:6379'));
    health.failed(new Error('again'));
    health.answered();
    health.answered();
    expect(health.state).toBe('shared');
    expect(states.map(([state]) => state)).toEqual(['unavailable', 'shared']);
    expect(String(states[0][1])).toContain('ECONNREFUSED');
    expect(String(states[0][1])).not.toContain('hunter2');
  });

  it('with a local fallback, takes go through it; a listener that throws breaks nothing', () => {
    const health = new StoreHealth(new MemoryRateLimitStore(), {
      ...common,
      onStoreError: 'local',
      instances: 2,
      onStateChange: () => {
        throw new Error('logger down');
      },
    });
    expect(health.store).toBeInstanceOf(FallbackRateLimitStore);
    expect(() => health.failed(new Error('down'))).not.toThrow();
    expect(health.state).toBe('unavailable');
  });

  it('takes a store silent for longer than maxWaitMs and a second as hung', () => {
    const health = new StoreHealth(new MemoryRateLimitStore(), {
      ...common,
      onStoreError: 'fail-closed',
    });
    expect(health.silenceMs).toBe(1_500);
    expect(health.hungAt(100, 1_600)).toBe(false);
    expect(health.hungAt(100, 1_601)).toBe(true);
  });

  it('probes the given store on a key no call uses, and rejects with its error, redacted', async () => {
    const taken: string[] = [];
    let fail = false;
    const given: RateLimitStore = {
      tryTake: async (key) => {
        taken.push(key);
        if (fail) throw new Error('WRONGPASS for redis://:hunter2@10.0.0.7:6379');
        return { granted: true };
      },
      release: async () => undefined,
    };
    const health = new StoreHealth(given, { ...common, onStoreError: 'local', instances: 1 });
    await health.probe('p1', 1_000);
    fail = true;
    const error = await health.probe('p2', 1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain('WRONGPASS');
    expect(String(error)).not.toContain('hunter2');
    expect(taken).toEqual([STORE_PROBE_KEY, STORE_PROBE_KEY]);
  });
});
