import { setTimeout as sleep } from 'node:timers/promises';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcOpenApiEmulator } from '../testing';
import { UnicastService } from '../unicast';

/**
 * Whatever the module sends the upstream is a user's call: no warm-up or keep-alive request of
 * its own (the real gateway's treatment of any other request is undocumented), at boot, in a
 * burst from rest, or while idle after one.
 */
describe('what the module sends the upstream', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ recordLimit: 0 });
    await emulator.start();
  });
  afterEach(async () => {
    await moduleRef?.close();
    await emulator.stop();
  });

  it('is the calls and nothing else: no request at boot, in a burst from rest or after it', async () => {
    moduleRef = await compileAgainst(emulator);
    await moduleRef.init();
    const unicast = moduleRef.get(UnicastService);
    await sleep(50);
    await Promise.all(Array.from({ length: 50 }, (_, i) => unicast.sendText('user_1', `m-${i}`)));
    // Long enough for a keep-warm round to have run (idle sockets are retired after 4 s).
    await sleep(3_500);

    expect(emulator.received).toBe(50);
    expect(emulator.probes).toBe(0);
  }, 10_000);
});
