import { once } from 'node:events';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcConfigurationError, RtcShuttingDownError } from '../errors';
import { resolveOptions } from '../rtc-messaging.options';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast';
import { RtcDispatcher } from './rtc-dispatcher';

/** Resolves once the dispatcher's drain has begun (Nest's close() gets there asynchronously). */
function drainStarted(): Promise<void> {
  const original = RtcDispatcher.prototype.beforeApplicationShutdown;
  return new Promise((resolve) => {
    jest.spyOn(RtcDispatcher.prototype, 'beforeApplicationShutdown').mockImplementation(function (
      this: RtcDispatcher,
    ) {
      const draining = original.call(this);
      resolve();
      return draining;
    });
  });
}

/** Shutdown lets the calls in flight complete before the sockets and the budget close. */
describe('RtcDispatcher on shutdown', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0 });
    await emulator.start();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  /** A send the emulator has accepted and answers only after `ms`. */
  async function sendInFlight(unicast: UnicastService, ms: number) {
    emulator.injectFault({ type: 'latency', ms });
    const accepted = once(emulator, 'accepted');
    const sending = unicast.send({ to: 'user_1', message: 'deploying' });
    await accepted;
    // In an object: returned bare, the async function would wait for the send itself.
    return { sending };
  }

  it('completes a call in flight as sent when the app closes, then closes', async () => {
    moduleRef = await compileAgainst(emulator, { logger: false });
    const unicast = moduleRef.get(UnicastService);
    const { sending } = await sendInFlight(unicast, 300);

    const closing = moduleRef.close();
    moduleRef = undefined;
    const { requestId } = await sending;
    await closing;
    expect(emulator.accepted.map((m) => m.requestId)).toEqual([requestId]);
  });

  it('refuses calls that arrive during the drain, before they reach the upstream', async () => {
    moduleRef = await compileAgainst(emulator, { logger: false });
    const unicast = moduleRef.get(UnicastService);
    const { sending } = await sendInFlight(unicast, 300);

    const draining = drainStarted();
    const closing = moduleRef.close();
    moduleRef = undefined;
    await draining;
    const late = unicast.send({ to: 'user_2', message: 'too late' });
    await expect(late).rejects.toBeInstanceOf(RtcShuttingDownError);
    await expect(late).rejects.toMatchObject({ outcome: 'not_delivered' });
    await sending;
    await closing;
    expect(emulator.received).toBe(1);
  });

  it('waits no longer than shutdownGraceMs', async () => {
    moduleRef = await compileAgainst(emulator, {
      logger: false,
      shutdownGraceMs: 20,
      timeoutMs: 1_000,
    });
    const unicast = moduleRef.get(UnicastService);
    const { sending } = await sendInFlight(unicast, 2_000);
    let settled = false;
    const outcome = sending.then(
      () => (settled = true),
      () => (settled = true),
    );

    await moduleRef.close();
    moduleRef = undefined;
    expect(settled).toBe(false);
    // The sockets closed under it (or it timed out): the call ends all the same.
    await outcome;
  });

  it('validates shutdownGraceMs at boot, naming the option', () => {
    const base = { accessKeyId: 'AK', secretAccessKey: 'SK', appId: 'app', from: 'bot' };
    expect(resolveOptions(base).shutdownGraceMs).toBe(10_000);
    for (const shutdownGraceMs of [-1, 1.5, '10', 300_001]) {
      expect(() => resolveOptions({ ...base, shutdownGraceMs })).toThrow(RtcConfigurationError);
      expect(() => resolveOptions({ ...base, shutdownGraceMs })).toThrow(/shutdownGraceMs/);
    }
  });
});
