import {
  howToStartRedis,
  LocalRedis,
  startLocalRedis,
} from '../../libs/rtc-messaging/test/local-redis';
import { redisAnswers, testRedisUrl } from '../../libs/rtc-messaging/test/test-redis';

/** Where the setup keeps the `redis-server` it started, for the teardown (the same process). */
export const STARTED_REDIS = Symbol.for('rtc-messaging.test.started-redis');

type WithStartedRedis = typeof globalThis & { [STARTED_REDIS]?: LocalRedis };

/**
 * Jest's global setup, before any spec runs: makes sure the Redis that `REDIS_URL` names (else
 * the default, `DEFAULT_TEST_REDIS_URL`) answers. When none does, it starts a throwaway `redis-server` there if one is
 * installed (the teardown stops it), or prints one line saying how to start one. `.ci/run` relies
 * on this and starts none of its own, so a run never starts two.
 */
export default async function setupTestRedis(): Promise<void> {
  const url = testRedisUrl();
  if (await redisAnswers(url)) return;
  const started = await startLocalRedis(url);
  if (started) {
    (globalThis as WithStartedRedis)[STARTED_REDIS] = started;
    return;
  }
  process.stderr.write(`\n${howToStartRedis(url)}\n`);
}
