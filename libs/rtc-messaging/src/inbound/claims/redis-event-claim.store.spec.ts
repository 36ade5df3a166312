import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../../../test/test-redis';
import { RedisEventClaimStore } from './redis-event-claim.store';

describe('RedisEventClaimStore (on the shared Redis, with a unique key prefix)', () => {
  let client: Redis;
  let store: RedisEventClaimStore;
  const prefix = `test:inbound-lib:${randomUUID()}:`;

  beforeAll(() => {
    client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new RedisEventClaimStore({ client, keyPrefix: prefix });
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('claims with SET NX PX: once, then running, then handled with the TTL from completion', async () => {
    expect(await store.claim('e1', 'a', 5_000)).toEqual({ claimed: true });
    expect(await client.get(`${prefix}e1`)).toBe('running:a');
    expect(await store.claim('e1', 'b', 5_000)).toEqual({ claimed: false, state: 'running' });
    await store.complete('e1', 'a', 60_000);
    expect(await store.claim('e1', 'b', 5_000)).toEqual({ claimed: false, state: 'handled' });
    const ttl = await client.pttl(`${prefix}e1`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('release and renew act only on their own claim', async () => {
    await store.claim('e2', 'a', 5_000);
    await store.release('e2', 'b');
    expect(await store.renew('e2', 'b', 5_000)).toBe(false);
    expect(await store.state('e2')).toBe('running');
    expect(await store.renew('e2', 'a', 9_000)).toBe(true);
    expect(await client.pttl(`${prefix}e2`)).toBeGreaterThan(5_000);
    await store.release('e2', 'a');
    expect(await store.state('e2')).toBeUndefined();
  });

  it('does not mark handled a claim another owner took after this one lapsed', async () => {
    await client.set(`${prefix}e3`, 'running:b', 'PX', 5_000);
    await store.complete('e3', 'a', 60_000);
    expect(await client.get(`${prefix}e3`)).toBe('running:b');
  });

  it('fails within its time limit when Redis does not answer, and shows no connection details', async () => {
    const dead = new Redis('redis://:redis-password@127.0.0.1:1', {
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    dead.on('error', () => undefined);
    const deadStore = new RedisEventClaimStore({ client: dead, keyPrefix: prefix, timeoutMs: 100 });
    await expect(deadStore.claim('e4', 'a', 5_000)).rejects.toThrow();
    expect(inspect(deadStore, { showHidden: true, depth: 5 })).not.toContain('redis-password');
    dead.disconnect();
  });
});
