import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcRateLimitedError, RtcUnknownOutcomeError } from '../errors';
import { RTC_HTTP_SERVICE } from '../rtc-messaging.constants';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiEmulator } from '../testing';
import { IDLE_SOCKET_TTL_MS } from '../transport';
import type { RtcHttpService } from '../transport/http-service.provider';
import { UnicastService } from '../unicast';

/**
 * What reaches the user when the upstream misbehaves: with the emulator's faults, every message
 * the module reports as sent arrives exactly once, and nothing is sent twice unless at-least-once
 * delivery was chosen.
 */
describe('delivery semantics against the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  async function unicastWith(
    options: Partial<RtcMessagingModuleOptions> = {},
  ): Promise<UnicastService> {
    moduleRef = await compileAgainst(emulator, {
      timeoutMs: 500,
      ...options,
      retry: { baseDelayMs: 5, maxDelayMs: 20, ...options.retry },
    });
    return moduleRef.get(UnicastService);
  }

  /** How many times each message text was accepted. */
  const acceptedCounts = () =>
    emulator.accepted.reduce(
      (counts, { message }) => counts.set(message, (counts.get(message) ?? 0) + 1),
      new Map<string, number>(),
    );

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0 });
    await emulator.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  it('with injected 429s and 503s, every message is accepted exactly once', async () => {
    const unicast = await unicastWith({ retry: { maxAttempts: 5 } });
    emulator.injectFault(
      { type: 'error', code: 'FlowLimitExceeded.QPSOverLimit', status: 429 },
      { times: 4 },
    );
    emulator.injectFault({ type: 'error', code: 'ServiceUnavailableTemp' }, { times: 4 });
    emulator.injectFault({ type: 'error', code: 'FailToConnect' }, { times: 2 });

    const texts = Array.from({ length: 20 }, (_, i) => `message-${i}`);
    await Promise.all(texts.map((text) => unicast.sendText('user_1', text)));

    const counts = acceptedCounts();
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(emulator.received).toBe(30); // 20 accepted + 10 refused and retried
  });

  describe.each([
    [
      'an HTTP 500 after delivery',
      { type: 'error', code: 'InternalError', deliver: true },
      'upstream_error',
    ],
    [
      'an HTTP 504 after delivery',
      { type: 'error', code: 'InternalServiceTimeout', deliver: true },
      'upstream_error',
    ],
    ['a reset after the request was processed', { type: 'reset', deliver: true }, 'reset'],
    ['a timeout after the request was written', { type: 'latency', ms: 1_000 }, 'timeout'],
  ] as const)('%s', (_, fault, reason) => {
    it('raises RtcUnknownOutcomeError by default and never sends twice', async () => {
      const unicast = await unicastWith();
      emulator.injectFault(fault);
      const error = await unicast.sendText('user_1', 'once').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
      expect(error).toMatchObject({ outcome: 'unknown', reason });
      expect(emulator.received).toBe(1);
      expect(acceptedCounts().get('once')).toBe(1);
    });

    it('with retry.unknownOutcome, delivers at least once', async () => {
      const unicast = await unicastWith({ retry: { unknownOutcome: true } });
      emulator.injectFault(fault);
      await expect(unicast.sendText('user_1', 'at-least-once')).resolves.toMatchObject({
        message: 'Success',
      });
      expect(emulator.received).toBe(2);
      expect(acceptedCounts().get('at-least-once')).toBe(2);
    });
  });

  it('refuses a burst larger than the queue at once, instead of holding it in memory', async () => {
    const unicast = await unicastWith({
      rateLimit: { perSecond: 5, maxQueued: 10, maxWaitMs: 10_000 },
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => unicast.sendText('user_1', `burst-${i}`)),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    // At most 10 wait (the first 5 among them, while the store decides); the rest are refused.
    expect(refused.length).toBeGreaterThanOrEqual(85);
    for (const outcome of refused) {
      expect(outcome.reason).toBeInstanceOf(RtcRateLimitedError);
      expect((outcome.reason as RtcRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    }
    expect(emulator.acceptedCount).toBe(100 - refused.length);
  });

  it('retires idle keep-alive sockets before the server would close them', async () => {
    await emulator.stop();
    // A server that closes idle connections after 5 s, Node's default.
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0, keepAliveTimeoutMs: 5_000 });
    await emulator.start();
    const unicast = await unicastWith();
    const agent = moduleRef!.get<RtcHttpService>(RTC_HTTP_SERVICE).agentFor('http:');
    const idleSockets = () =>
      Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);

    await unicast.sendText('user_1', 'before idle');
    expect(idleSockets()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SOCKET_TTL_MS + 300));
    expect(idleSockets()).toBe(0); // closed by us, before the server's 5 s
    await expect(unicast.sendText('user_1', 'after idle')).resolves.toMatchObject({
      message: 'Success',
    });
  }, 10_000);
});
