import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { redisAnswers, testRedisUrl } from './test-redis';
import { startLocalRedis } from './local-redis';
import { deadPort } from './dead-port';

const WORKSPACE = join(__dirname, '..', '..', '..');

/** Every spec of the workspace (the library's, the demo's, the e2e ones), and their helpers. */
function specFiles(dir = WORKSPACE, helpers = false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    // The packaging test's consumer app runs apart from the workspace and reads REDIS_URL itself.
    if (['node_modules', 'dist', '.git', 'packaging'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return specFiles(path, helpers || entry.name === 'test');
    if (entry.name === 'test-redis.ts') return [];
    return /\.(spec|e2e-spec)\.ts$/.test(entry.name) || (helpers && entry.name.endsWith('.ts'))
      ? [path]
      : [];
  });
}

/**
 * A Redis address written into a spec instead of read from the one setting: the default port
 * with no host or a loopback one (`127.0.0.1:6379`, `port: 6379`, `REDIS_PORT = 6379`), or a
 * `REDIS_URL ??` fallback of its own. Another machine's address in a message
 * (`redis.internal:6379`) is only text.
 */
const HARD_CODED_REDIS = [
  /(?<![\w.-])(?:127\.0\.0\.1|localhost|\[::1\])?['"`]?\s*[:,=]\s*(?:port:\s*)?6379\b/,
  /REDIS_PORT\s*=\s*\d+/,
  /process\.env\.REDIS_URL\s*\?\?/,
];

describe('the Redis the specs use', () => {
  it('is REDIS_URL when set, else 127.0.0.1:6379', () => {
    expect(testRedisUrl({ REDIS_URL: 'redis://10.1.2.3:6400/2' })).toBe('redis://10.1.2.3:6400/2');
    expect(testRedisUrl({ REDIS_URL: ' ' })).toBe('redis://127.0.0.1:6379');
    expect(testRedisUrl({})).toBe('redis://127.0.0.1:6379');
  });

  it('is never written into a spec: each reads TEST_REDIS_URL', () => {
    const offenders = specFiles()
      .filter((file) => !file.endsWith('test-redis.spec.ts'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(WORKSPACE, file)}:${i + 1}` }))
          .filter(({ line }) => HARD_CODED_REDIS.some((pattern) => pattern.test(line)))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it('is started as a local redis-server when none answers there, and stopped after', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    expect(await redisAnswers(url)).toBe(false);
    const started = await startLocalRedis(url);
    try {
      expect(started).toBeDefined();
      expect(await redisAnswers(url)).toBe(true);
    } finally {
      await started?.stop();
    }
    expect(await redisAnswers(url)).toBe(false);
  }, 15_000);

  it('is not started when redis-server is missing, nor on another host', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    expect(await startLocalRedis(url, 'no-such-redis-server-binary')).toBeUndefined();
    expect(await startLocalRedis('redis://10.255.255.1:6379')).toBeUndefined();
  }, 15_000);
});
