import { STARTED_REDIS } from './redis.global-setup';
import type { LocalRedis } from '../../libs/rtc-messaging/test/local-redis';

/** Stops the `redis-server` the global setup started, if it started one. */
export default async function teardownTestRedis(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [STARTED_REDIS]?: LocalRedis };
  await holder[STARTED_REDIS]?.stop();
  delete holder[STARTED_REDIS];
}
