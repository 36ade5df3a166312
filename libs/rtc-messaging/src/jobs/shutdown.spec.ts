import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { messagingModuleAt } from '../../test/against-emulator';
import { deadPort } from '../../test/dead-port';
import { RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';

/**
 * A deploy while Redis is down must still end: the worker and the jobs' client used to wait for a
 * connection that never came, and the app never closed (Jest's timeout is the bound here).
 */
/** A worker instance (queue and worker) whose Redis is down, compiled but not yet started. */
async function workerInstanceWithRedisDown() {
  const connection = `redis://127.0.0.1:${await deadPort()}`;
  return Test.createTestingModule({
    imports: [
      messagingModuleAt('http://127.0.0.1:9', { rateLimit: false, isGlobal: true }),
      RtcFanOutJobsModule.forRoot({ connection }),
    ],
  }).compile();
}

describe('RtcFanOutJobsModule shutdown', () => {
  it('closes a worker instance at once while its Redis is unreachable', async () => {
    const moduleRef = await workerInstanceWithRedisDown();
    await moduleRef.init();
    await expect(moduleRef.close()).resolves.toBeUndefined();
  });

  it('logs a Redis that stays down once per 10 s, not at every reconnection attempt', async () => {
    const lines: string[] = [];
    const error = jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((message: unknown) => void lines.push(String(message)));
    // What BullMQ prints by itself for an error nobody listens to.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const moduleRef = await workerInstanceWithRedisDown();
    const linesOf = (label: string) => lines.filter((line) => line.startsWith(`${label}:`));
    let whileDown: string[][];
    try {
      await moduleRef.init();
      // BullMQ retries the connection about twice a second: several attempts, all refused.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      whileDown = [linesOf('Fan-out worker'), linesOf('Fan-out queue')];
    } finally {
      await moduleRef.close();
      error.mockRestore();
      printed.mockRestore();
    }
    for (const [label, before] of [
      ['Fan-out worker', whileDown[0]],
      ['Fan-out queue', whileDown[1]],
    ] as const) {
      expect(before).toEqual([expect.stringContaining('ECONNREFUSED')]);
      // At shutdown, the attempts since then in one line: none lost, none written one by one.
      expect(linesOf(label)).toHaveLength(2);
      expect(linesOf(label)[1]).toMatch(/ECONNREFUSED .*\(\d+ times since the last report/);
    }
    expect(printed).not.toHaveBeenCalled();
  });
});
