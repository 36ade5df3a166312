import { Server, Socket } from 'node:net';
import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RTC_CALL_BUDGET } from '../rtc-messaging.constants';
import type { MessagingBudget } from '../rate-limit/messaging-budget';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';
import { ConnectionWarmer, MIN_WARM_CONNECTIONS } from './connection-warmer';

/** The emulator's HTTP server, to count the connections clients open. */
const serverOf = (emulator: RtcOpenApiEmulator) =>
  (emulator as unknown as { server: Server }).server;

describe('ConnectionWarmer, against the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;
  let connections: number;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: null });
    await emulator.start();
    connections = 0;
    serverOf(emulator).on('connection', (_socket: Socket) => connections++);
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  /** Resolves once `condition` holds, polling (a bound on hanging, not a timing assertion). */
  async function eventually(condition: () => boolean): Promise<void> {
    for (const started = Date.now(); !condition();) {
      if (Date.now() - started > 5_000) throw new Error('condition not met');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('opens connections at boot, so the first calls open none, and the budget starts warm', async () => {
    moduleRef = await compileAgainst(emulator);
    const app = moduleRef.createNestApplication();
    await app.init();
    await eventually(() => moduleRef!.get(ConnectionWarmer).isWarm());
    expect(connections).toBe(MIN_WARM_CONNECTIONS);

    const unicast = moduleRef.get(UnicastService);
    await Promise.all(['a', 'b', 'c', 'd'].map((to) => unicast.sendText(to, 'hi')));
    expect(connections).toBe(MIN_WARM_CONNECTIONS);
    await app.close();
  });

  it('warms nothing when the module runs without a budget', async () => {
    moduleRef = await compileAgainst(emulator, { rateLimit: false });
    const app = moduleRef.createNestApplication();
    await app.init();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toBe(0);
    expect(moduleRef.get(ConnectionWarmer).isWarm()).toBe(false);
    await app.close();
  });

  it('lets the budget skip the cold-start allowance while the connections are warm', async () => {
    moduleRef = await compileAgainst(emulator);
    const budget = moduleRef.get<MessagingBudget>(RTC_CALL_BUDGET);
    const warmer = moduleRef.get(ConnectionWarmer);
    const warmed = jest.spyOn(warmer, 'warm');
    const app = moduleRef.createNestApplication();
    await app.init();
    await eventually(() => warmer.isWarm());
    // The budget's first take is a start from rest, on warm connections: it paces at the warm
    // rate (the allowance would slow it to 439/s at the default limit) and warms nothing more.
    const paceAsked = jest.spyOn(
      (budget as unknown as { budget: { store: { tryTake: () => unknown } } }).budget.store,
      'tryTake',
    );
    await moduleRef.get(UnicastService).sendText('a', 'hi');
    expect(warmed).toHaveBeenCalledTimes(1);
    const [, rate] = paceAsked.mock.calls[0] as unknown as [string, { intervalMs: number }];
    expect(1_000 / rate.intervalMs).toBeGreaterThan(470);
    await app.close();
  });
});
