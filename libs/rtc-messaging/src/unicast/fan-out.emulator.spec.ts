import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiEmulator } from '../testing/emulator';
import type { FanOutResult } from './fan-out.types';
import { CANCELLED_REASON } from './send-status';
import { UnicastService } from './unicast.service';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `user_${i}`);

/** sendToMany, signed and sent over HTTP to the local OpenAPI emulator. */
describe('UnicastService.sendToMany against the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  async function unicastWith(
    options: Partial<RtcMessagingModuleOptions> = {},
  ): Promise<UnicastService> {
    moduleRef = await compileAgainst(emulator, { rateLimit: false, ...options });
    return moduleRef.get(UnicastService);
  }

  async function startEmulator(rateLimitPerSecond = 0) {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond });
    await emulator.start();
  }

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  it('sends to the valid ids and refuses the malformed ones, which never reach the upstream', async () => {
    await startEmulator();
    const unicast = await unicastWith();
    const list = ids(60);
    for (const i of [0, 17, 33, 59]) list[i] = `bad id ${i}`;
    const results: FanOutResult[] = [];
    const summary = await unicast.sendToMany(list, 'Maintenance at 02:00', {
      concurrency: 8,
      onResult: (r) => void results.push(r),
    });

    expect(summary).toMatchObject({ done: 60, sent: 56, refused: 4, unknown: 0 });
    expect(summary.refusals.map((r) => r.index).sort((a, b) => a - b)).toEqual([0, 17, 33, 59]);
    expect(emulator.received).toBe(56);
    const accepted = new Map(emulator.accepted.map((m) => [m.to as string, m.requestId]));
    for (const r of results.filter((x) => x.status === 'sent')) {
      expect(accepted.get(r.to)).toBe(r.requestId);
    }
    expect(emulator.accepted.every((m) => m.action === 'SendUnicast')).toBe(true);
  });

  it('reports a delivery hidden by an upstream timeout as unknown', async () => {
    await startEmulator();
    const unicast = await unicastWith();
    emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout', deliver: true });
    const summary = await unicast.sendToMany(ids(5), 'hi', { concurrency: 1 });
    expect(summary).toMatchObject({ sent: 4, unknown: 1, unknowns: [{ to: 'user_0', index: 0 }] });
    expect(emulator.acceptedCount).toBe(5);
  });

  it('cancelled mid-way: the recipients reported sent are exactly those the upstream accepted', async () => {
    await startEmulator();
    // 20 calls per second: most recipients wait for budget when the abort comes.
    const unicast = await unicastWith({ rateLimit: { perSecond: 20, maxWaitMs: 10_000 } });
    const controller = new AbortController();
    emulator.on('accepted', () => {
      if (emulator.acceptedCount === 25) controller.abort();
    });
    const results: FanOutResult[] = [];
    const summary = await unicast.sendToMany(ids(500), 'hi', {
      concurrency: 16,
      signal: controller.signal,
      onResult: (r) => void results.push(r),
    });
    // Let any straggling request land before comparing.
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(summary.cancelled).toBe(true);
    expect(summary.done).toBe(results.length);
    expect(summary.done).toBeLessThan(500);
    const sent = results.filter((r) => r.status === 'sent').map((r) => r.to);
    const accepted = emulator.accepted.map((m) => m.to as string);
    expect(sent.sort()).toEqual(accepted.sort());
    expect(summary.sent).toBe(emulator.acceptedCount);
    for (const r of results.filter((x) => x.status !== 'sent')) {
      expect(r).toMatchObject({ status: 'refused', reason: CANCELLED_REASON });
    }
    // Every recipient not reported was not sent.
    const reported = new Set(results.map((r) => r.to));
    expect(accepted.every((to) => reported.has(to))).toBe(true);
  });

  it('stays within a shared limit: 60 recipients at 20/s, none throttled', async () => {
    await startEmulator(20);
    const unicast = await unicastWith({ rateLimit: { perSecond: 20 } });
    const started = Date.now();
    const summary = await unicast.sendToMany(ids(60), 'hi', { concurrency: 32 });
    expect(summary).toMatchObject({ sent: 60, refused: 0, unknown: 0 });
    expect(emulator.acceptedCount).toBe(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  }, 15_000);
});
