import { Redis } from 'ioredis';

/** Where the specs find Redis when `REDIS_URL` is not set: the address `.ci/run` has always used. */
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The one setting that decides which Redis every spec uses: `REDIS_URL` from the environment of
 * `npm test`, else {@link DEFAULT_TEST_REDIS_URL}. Read by each spec that needs Redis and by the
 * Jest global setup that checks it answers (and starts a local `redis-server` when it does not).
 *
 * @example
 * REDIS_URL=redis://127.0.0.1:6400 npx jest libs/rtc-messaging/src/rate-limit
 */
export function testRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.REDIS_URL?.trim();
  return url ? url : DEFAULT_TEST_REDIS_URL;
}

/** {@link testRedisUrl}, read once when a spec loads. */
export const TEST_REDIS_URL = testRedisUrl();

/** Host and port of {@link TEST_REDIS_URL}, for specs that build ioredis options. */
export function testRedisAddress(url: string = TEST_REDIS_URL): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname.replace(/^\[|\]$/g, ''), port: port === '' ? 6379 : Number(port) };
}

/**
 * {@link TEST_REDIS_URL} with the credentials replaced: a spec that checks a password is never
 * shown needs one in the URL, on the same Redis as every other spec.
 */
export function testRedisUrlWithCredentials(
  password: string,
  username = '',
  url: string = TEST_REDIS_URL,
): string {
  const withCredentials = new URL(url);
  withCredentials.username = username;
  withCredentials.password = password;
  return withCredentials.toString().replace(/\/$/, '');
}

/**
 * {@link TEST_REDIS_URL} (its credentials and db) at another address: a relay in front of the
 * test Redis, say, that a spec cuts to play an outage.
 */
export function testRedisUrlAt(port: number, host = '127.0.0.1', url = TEST_REDIS_URL): string {
  const moved = new URL(url);
  moved.hostname = host;
  moved.port = String(port);
  return moved.toString().replace(/\/$/, '');
}

/** Whether a Redis answers PING at `url` within `timeoutMs`; never retries, never logs. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
