import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RTC_CALL_BUDGET } from '../rtc-messaging.constants';
import type { MessagingBudget } from '../rate-limit/messaging-budget';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';

/** The dispatcher tells the budget each call's round trip and each upstream 429. */
describe('the adaptive margin, fed by real calls to the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule;

  async function start(options: ConstructorParameters<typeof RtcOpenApiEmulator>[0]) {
    emulator = new RtcOpenApiEmulator(options);
    await emulator.start();
    moduleRef = await compileAgainst(emulator, { retry: { maxAttempts: 1 } });
    return {
      unicast: moduleRef.get(UnicastService),
      budget: moduleRef.get<MessagingBudget>(RTC_CALL_BUDGET),
    };
  }

  afterEach(async () => {
    await moduleRef.close();
    await emulator.stop();
  });

  it('follows the spread of the round trips: wide on a jittery link', async () => {
    const { unicast, budget } = await start({ rateLimitPerSecond: null, arrivalJitterMs: 40 });
    expect(budget.marginMs).toBe(30);
    await unicast.sendToMany(
      Array.from({ length: 200 }, (_, i) => `user_${i}`),
      'hi',
      { concurrency: 20 },
    );
    // Arrivals varying by 40 ms: round trips spread as much, more than the initial 30 ms.
    expect(budget.marginMs).toBeGreaterThanOrEqual(36);
  });

  it('follows the spread of the round trips: narrow on a steady one', async () => {
    const { unicast, budget } = await start({ rateLimitPerSecond: null });
    await unicast.sendToMany(
      Array.from({ length: 200 }, (_, i) => `user_${i}`),
      'hi',
      { concurrency: 1 },
    );
    expect(budget.marginMs).toBeLessThan(30);
  });

  it('times each round trip from when its grant was asked of the store', async () => {
    const { unicast, budget } = await start({ rateLimitPerSecond: null });
    // As a shared store answering 40 ms after it counted the unit would.
    const acquire = budget.acquire.bind(budget);
    jest
      .spyOn(budget, 'acquire')
      .mockImplementation(async (...args) => (await acquire(...args)) + 40);
    const observe = jest.spyOn(budget, 'observeRoundTrip');
    await unicast.send({ to: 'user_1', message: 'hi' });
    expect(observe).toHaveBeenCalledTimes(1);
    expect(observe.mock.calls[0][0]).toBeGreaterThanOrEqual(40);
  });

  it('widens to its ceiling when the upstream throttles a paced call anyway', async () => {
    const { unicast, budget } = await start({ rateLimitPerSecond: 2 });
    const summary = await unicast.sendToMany(['a', 'b', 'c', 'd'], 'hi', { concurrency: 4 });
    expect(summary.refused).toBeGreaterThan(0);
    expect(budget.marginMs).toBe(100);
  });
});
