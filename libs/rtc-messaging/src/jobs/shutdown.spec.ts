import { createServer } from 'node:net';
import { Test } from '@nestjs/testing';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { EMULATOR_DEMO_CREDENTIALS } from '../testing/emulator';
import { RtcFanOutJobsModule } from './rtc-fan-out-jobs.module';

/** A port nothing listens on: a Redis that is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A deploy while Redis is down must still end: the worker and the jobs' client used to wait for a
 * connection that never came, and the app never closed (Jest's timeout is the bound here).
 */
describe('RtcFanOutJobsModule shutdown', () => {
  it('closes a worker instance at once while its Redis is unreachable', async () => {
    const connection = `redis://127.0.0.1:${await deadPort()}`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          ...EMULATOR_DEMO_CREDENTIALS,
          appId: 'app',
          from: 'server_bot',
          endpoint: 'http://127.0.0.1:9',
          rateLimit: false,
          isGlobal: true,
        }),
        RtcFanOutJobsModule.forRoot({ connection }),
      ],
    }).compile();
    await moduleRef.init();
    await expect(moduleRef.close()).resolves.toBeUndefined();
  });
});
