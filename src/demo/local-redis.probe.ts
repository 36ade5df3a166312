import { connect } from 'node:net';

/** Where a Redis usually listens on a developer's machine. */
export const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 } as const;

/**
 * How long `npm run demo` waits for that Redis: a local one answers in well under a millisecond,
 * and a user with none should not wait for a demo to start.
 */
export const REDIS_PROBE_TIMEOUT_MS = 300;

/**
 * Whether a Redis answers `PING` at `host:port` within `timeoutMs` (from the connection attempt
 * to the `+PONG`). Never throws: a refused connection, a silent or foreign server, a Redis that
 * wants a password (`-NOAUTH`) all answer `false`.
 *
 * @example
 * if (await redisAnswersPing(LOCAL_REDIS.host, LOCAL_REDIS.port)) useRedis('redis://127.0.0.1:6379');
 */
export function redisAnswersPing(
  host: string,
  port: number,
  timeoutMs = REDIS_PROBE_TIMEOUT_MS,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let answer = '';
    const done = (answers: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
