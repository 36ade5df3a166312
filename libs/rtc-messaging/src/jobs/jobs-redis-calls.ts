import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RtcError } from '../errors';
import {
  DEFAULT_REDIS_TIMEOUT_MS,
  FAIL_FAST_REDIS_OPTIONS,
} from '../rate-limit/redis-rate-limit.store';
import { answeredWithin, REDIS_DOWN_STATES } from '../rate-limit/redis-fail-fast';
import { FanOutJobsUnavailableError } from './fan-out-jobs-unavailable.error';
import { RTC_FAN_OUT_JOBS_REDIS } from './fan-out-jobs.constants';

/**
 * The round trips `FanOutJobs` makes for a caller (create, get, cancel, results, progress), failing
 * as fast as the call budget's store does: refused at once while the connection is down, and
 * bounded by the budget's Redis timeout (250 ms) otherwise; before the client's first connection,
 * by its connect timeout (2 s). ioredis alone would hold them through its 20 reconnection
 * attempts (about 10 s, and 43 s for a create). A creation's writes and the workers' round trips
 * are not bounded one by one (a million ids take seconds); the client's fail-fast options (one
 * reconnection attempt per command) end them when Redis goes away.
 */
@Injectable()
export class JobsRedisCalls {
  constructor(@Inject(RTC_FAN_OUT_JOBS_REDIS) private readonly redis: Redis) {}

  /**
   * Refuses at once while the connection is down, rather than letting ioredis park the commands.
   * @throws FanOutJobsUnavailableError when it is
   */
  assertUp(): void {
    const { status } = this.redis;
    if (REDIS_DOWN_STATES.has(status)) {
      throw new FanOutJobsUnavailableError(`connection is ${status}`);
    }
  }

  /**
   * Runs `call` (one or a few round trips on the jobs' Redis).
   * @throws FanOutJobsUnavailableError when the connection is down or Redis does not answer in time
   */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.assertUp();
    const { status } = this.redis;
    // Every expiry from the moment that makes it true: a client still making its first connection
    // is given the time a connection may take, a connected one the time an answer may take.
    const timeoutMs =
      status === 'ready' ? DEFAULT_REDIS_TIMEOUT_MS : FAIL_FAST_REDIS_OPTIONS.connectTimeout;
    try {
      return await answeredWithin(
        call(),
        timeoutMs,
        () => new FanOutJobsUnavailableError(`did not answer within ${timeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof RtcError) throw error;
      throw new FanOutJobsUnavailableError('failed', { cause: error });
    }
  }

  /**
   * `source`, each step run as {@link run}: a stream read in chunks (one round trip per `next`)
   * fails fast mid-way too.
   */
  async *each<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      for (;;) {
        const step = await this.run(() => iterator.next());
        if (step.done) return;
        yield step.value;
      }
    } finally {
      // Not awaited: a generator still waiting on a round trip that timed out returns only after it.
      void iterator.return?.()?.catch(() => undefined);
    }
  }
}
