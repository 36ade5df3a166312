import { ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_TEST_REDIS_URL, redisAnswers, testRedisAddress } from './test-redis';

/** Hosts a `redis-server` of ours can listen on: never another machine's address. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** How long a started `redis-server` may take to answer. */
const START_TIMEOUT_MS = 5_000;

/** The one line that says how to get the Redis the specs need, naming its URL's address. */
export function howToStartRedis(url: string): string {
  const { host, port } = testRedisAddress(url);
  return (
    `No Redis answers at ${host}:${port} (REDIS_URL, else ${DEFAULT_TEST_REDIS_URL}) and redis-server could not be started: ` +
    `start one with \`redis-server --daemonize yes --bind 127.0.0.1 --port ${port} --save "" --appendonly no\` ` +
    'or set REDIS_URL; the specs that need Redis fail until then.'
  );
}

/** A `redis-server` started for the test run; `stop` ends it. */
export interface LocalRedis {
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway `redis-server` (no persistence, loopback only) where `url` points, when it
 * points at this machine and `redis-server` is installed; resolves once it answers PING, or
 * `undefined` when it cannot be started there (another host, not installed, it did not answer).
 */
export async function startLocalRedis(
  url: string,
  command = 'redis-server',
): Promise<LocalRedis | undefined> {
  const { host, port } = testRedisAddress(url);
  if (!LOOPBACK.has(host)) return undefined;
  const { password } = new URL(url);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (password) args.push('--requirepass', decodeURIComponent(password));
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  // ENOENT (not installed) arrives as an 'error' event, after which the child never runs.
  child.once('error', () => (exited = true));
  const started = Date.now();
  while (!exited && Date.now() - started < START_TIMEOUT_MS) {
    if (await redisAnswers(url, 200)) {
      return { pid: child.pid as number, stop: () => stopChild(child) };
    }
    await sleep(50);
  }
  if (!exited) await stopChild(child);
  return undefined;
}

/** Ends `child` and waits for it to exit (a kill if it ignores SIGTERM for 2 s). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(killer);
}
