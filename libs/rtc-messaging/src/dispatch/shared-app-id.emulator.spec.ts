import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcOpenApiEmulator } from '../testing';
import { UnicastService } from '../unicast';

/** The AppId's limit, upstream and in each module: low, so that two modules overrun it for sure. */
const LIMIT = 100;

/**
 * Two modules that spend one AppId's limit without a shared store (two services, say, each with
 * its own in-memory budget): each paces to the whole limit, so together they offer twice what the
 * upstream counts. The upstream's 429s slow each budget in proportion to the calls throttled, so
 * they settle near their share instead of throttling half their calls for as long as they run.
 */
describe('two modules sharing an AppId without a shared store', () => {
  let emulator: RtcOpenApiEmulator;
  const modules: TestingModule[] = [];
  /** When each throttled call was answered, in ms since the start. */
  const throttledAt: number[] = [];
  const acceptedAt: number[] = [];
  let started = 0;

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: LIMIT, recordLimit: 0 });
    emulator.on('rejected', () => throttledAt.push(performance.now() - started));
    emulator.on('accepted', () => acceptedAt.push(performance.now() - started));
    await emulator.start();
  });
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((m) => m.close()));
    await emulator.stop();
  });

  /** `workers` callers sending one message after another until `untilMs`. */
  async function load(unicast: UnicastService, workers: number, untilMs: number) {
    const worker = async (w: number) => {
      for (let i = 0; performance.now() - started < untilMs; i++) {
        await unicast.sendText('user_1', `${w}-${i}`).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  }

  it('converge without a throttle storm: one window overrun, then few calls throttled', async () => {
    for (let i = 0; i < 2; i++) {
      modules.push(
        await compileAgainst(emulator, { rateLimit: { perSecond: LIMIT, maxWaitMs: 5_000 } }),
      );
    }
    started = performance.now();
    await Promise.all(modules.map((m) => load(m.get(UnicastService), 50, 7_500)));

    // From the first call the upstream saw (a loaded machine may take a while to get going).
    const first = Math.min(acceptedAt[0], throttledAt[0] ?? Infinity);
    const within = (times: number[], from: number, to: number) =>
      times.filter((t) => t >= first + from && t < first + to).length;
    // The first window is when the two find out about each other: about one window's overrun.
    expect(within(throttledAt, 0, 7_000)).toBeLessThan(2 * LIMIT);
    // Settled, from 3 s on: a few percent of the calls throttled (2 to 4% measured; a fixed limit
    // throttles 44% for as long as both run), and the upstream still accepts close to its limit.
    const throttled = within(throttledAt, 3_000, 7_000);
    const accepted = within(acceptedAt, 3_000, 7_000);
    expect(throttled / (throttled + accepted)).toBeLessThan(0.08);
    expect(accepted).toBeGreaterThan(4 * LIMIT * 0.75);
  }, 20_000);
});
