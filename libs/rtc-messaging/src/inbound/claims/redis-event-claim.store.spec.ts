import { randomUUID } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, testRedisAddress, testRedisUrlAt } from '../../../test/test-redis';
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

  it('undoes a claim whose SET timed out but landed, so that the retry does not wait on nobody', async () => {
    // A relay to the real Redis that holds what the client sends for 800 ms: a slow link, far
    // past the store's 100 ms limit even on a loaded machine.
    const { host, port } = testRedisAddress();
    const sockets = new Set<Socket>();
    const relay: Server = createServer((inbound) => {
      const outbound = new Socket().connect(port, host);
      for (const socket of [inbound, outbound]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
      }
      inbound.on('data', (chunk) => setTimeout(() => outbound.write(chunk), 800));
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const slow = new Redis(testRedisUrlAt((relay.address() as AddressInfo).port), {
      maxRetriesPerRequest: 1,
    });
    try {
      await slow.ping();
      const slowStore = new RedisEventClaimStore({
        client: slow,
        keyPrefix: prefix,
        timeoutMs: 100,
      });
      await expect(slowStore.claim('e5', 'a', 30_000)).rejects.toThrow(
        /did not answer within 100 ms/,
      );
      // The SET lands at about 800 ms, and the release sent behind it after it: a PING sent now
      // is answered once both are done.
      await slow.ping();
      expect(await client.get(`${prefix}e5`)).toBeNull();
      // The retry claims it.
      expect(await store.claim('e5', 'b', 5_000)).toEqual({ claimed: true });
    } finally {
      slow.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it('claims and completes the events of one turn with one script each, each event its own answer', async () => {
    await store.claim('t-running', 'x', 5_000);
    await store.claim('t-handled', 'x', 5_000);
    await store.complete('t-handled', 'x', 60_000);
    const scripts = client as unknown as Record<string, (...args: unknown[]) => unknown>;
    const claim = jest.spyOn(scripts, 'rtcInboundClaim');
    const complete = jest.spyOn(scripts, 'rtcInboundComplete');
    try {
      const claims = await Promise.all(
        ['t1', 't-running', 't2', 't-handled', 't1'].map((key) => store.claim(key, 'a', 5_000)),
      );
      expect(claims).toEqual([
        { claimed: true },
        { claimed: false, state: 'running' },
        { claimed: true },
        { claimed: false, state: 'handled' },
        // The same event twice in one batch: the script claims it for the first only.
        { claimed: false, state: 'running' },
      ]);
      expect(claim).toHaveBeenCalledTimes(1);
      await Promise.all([store.complete('t1', 'a', 60_000), store.complete('t2', 'a', 60_000)]);
      expect(complete).toHaveBeenCalledTimes(1);
      expect(await client.mget(`${prefix}t1`, `${prefix}t2`)).toEqual(['handled', 'handled']);
    } finally {
      claim.mockRestore();
      complete.mockRestore();
    }
  });

  it('sends one key per script to a Cluster, whose keys may lie in different slots', async () => {
    const calls: unknown[][] = [];
    const cluster = {
      isCluster: true,
      status: 'ready',
      defineCommand(name: string) {
        (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
          calls.push([name, ...args]);
          return Promise.resolve(name === 'rtcInboundClaim' ? [1] : 1);
        };
      },
    };
    const clusterStore = new RedisEventClaimStore({
      client: cluster as unknown as Redis,
      keyPrefix: 'p:',
    });
    await Promise.all([clusterStore.claim('a', 'o', 5_000), clusterStore.claim('b', 'o', 5_000)]);
    expect(calls).toEqual([
      ['rtcInboundClaim', 1, 'p:a', 'running:o', 5_000],
      ['rtcInboundClaim', 1, 'p:b', 'running:o', 5_000],
    ]);
  });
});
