import { LoggerService } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { RtcConfigurationError, RtcUpstreamError } from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { resolveOptions, RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { FAILURE_LOG_WINDOW_MS } from '../telemetry';
import { RtcOpenApiClient } from '../transport';
import { RtcDispatcher } from './rtc-dispatcher';

const base: RtcMessagingModuleOptions = {
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
  appId: 'app',
  from: 'bot',
};

interface Line {
  readonly at: number;
  readonly message: string;
  readonly context: unknown;
}

/** A LoggerService that keeps its warnings, with the (fake) time each was written. */
function capturingLogger(lines: Line[]): LoggerService {
  return {
    log: () => undefined,
    error: () => undefined,
    warn: (message: string, context?: unknown) =>
      void lines.push({ at: Date.now(), message, context }),
  };
}

/** The counts a summary line reports. */
function countsOf(message: string): { code: string; failed: number; retried: number } {
  const code = message.slice(0, message.indexOf(':'));
  const failed = /(\d+) failed call/.exec(message)?.[1] ?? '0';
  const retried = /(\d+) retried attempt/.exec(message)?.[1] ?? '0';
  return { code, failed: Number(failed), retried: Number(retried) };
}

describe('RtcDispatcher logs', () => {
  let moduleRef: TestingModule | undefined;
  const call = jest.fn();

  /** @param appLogger the app's logger (`app.useLogger`), which Nest's `Logger` writes to */
  async function dispatcherWith(
    options: Partial<RtcMessagingModuleOptions>,
    appLogger?: LoggerService,
  ) {
    const builder = Test.createTestingModule({
      imports: [RtcMessagingModule.forRoot({ ...base, ...options })],
    });
    if (appLogger) builder.setLogger(appLogger);
    moduleRef = await builder.overrideProvider(RtcOpenApiClient).useValue({ call }).compile();
    return moduleRef.get(RtcDispatcher);
  }

  beforeEach(() => call.mockReset());
  afterEach(async () => {
    jest.useRealTimers();
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('summarizes 1,000 failing calls: at most one line per error code per 10 s, no count lost', async () => {
    // Fake Date and setTimeout (the summary's clock and its timers); the retry wait
    // (node:timers/promises) stays real, at 0 ms.
    jest.useFakeTimers({ now: 0 });
    const lines: Line[] = [];
    const dispatcher = await dispatcherWith({
      rateLimit: false,
      retry: { maxAttempts: 2, baseDelayMs: 0 },
      logger: capturingLogger(lines),
    });
    let requestIds = 0;
    // Even calls: the upstream is unavailable twice (retried once, then given up); odd calls:
    // refused outright (not retried).
    call.mockImplementation((_action: string, body: { n: number }) =>
      Promise.reject(
        new RtcUpstreamError(
          body.n % 2 === 0
            ? { status: 503, code: 'ServiceUnavailableTemp', requestId: `req_${++requestIds}` }
            : { status: 400, code: 'InvalidParameter', requestId: `req_${++requestIds}` },
        ),
      ),
    );

    // 1,000 calls over 20 s: 100 every 2 s.
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          dispatcher
            .dispatch('SendUnicast', { AppId: 'app', n: round * 100 + i })
            .catch(() => undefined),
        ),
      );
      jest.advanceTimersByTime(2_000);
    }
    jest.advanceTimersByTime(FAILURE_LOG_WINDOW_MS);

    expect(call).toHaveBeenCalledTimes(1_500);
    // Per code: a line at once (t=0), then one per window with the counts since (t=10 s, 20 s).
    expect(lines).toHaveLength(6);
    for (const code of ['ServiceUnavailableTemp', 'InvalidParameter']) {
      const mine = lines.filter((l) => l.message.startsWith(`${code}:`));
      expect(mine.map((l) => l.at)).toEqual([0, 10_000, 20_000]);
      const totals = mine.map((l) => countsOf(l.message));
      const sum = (key: 'failed' | 'retried') => totals.reduce((n, t) => n + t[key], 0);
      expect(sum('failed')).toBe(500);
      expect(sum('retried')).toBe(code === 'ServiceUnavailableTemp' ? 500 : 0);
    }
    // The last RequestId of the code, and the module's context for the app's logger.
    expect(lines.at(-1)?.message).toMatch(/RequestId req_\d+/);
    expect(lines.every((l) => l.context === 'RtcMessaging')).toBe(true);
  });

  it('writes the counts still pending when the module shuts down', async () => {
    const lines: Line[] = [];
    const dispatcher = await dispatcherWith({ rateLimit: false, logger: capturingLogger(lines) });
    call.mockRejectedValue(new RtcUpstreamError({ status: 400, code: 'InvalidParameter' }));
    for (let i = 0; i < 3; i++) {
      await dispatcher.dispatch('SendUnicast', { AppId: 'app' }).catch(() => undefined);
    }
    expect(lines).toHaveLength(1);
    await moduleRef!.close();
    moduleRef = undefined;
    expect(lines.map((l) => countsOf(l.message).failed)).toEqual([1, 2]);
  });

  it('logs nothing with logger: false', async () => {
    const appLog = jest.fn();
    const dispatcher = await dispatcherWith(
      { rateLimit: false, logger: false },
      { log: appLog, warn: appLog, error: appLog },
    );
    call.mockRejectedValue(new RtcUpstreamError({ status: 400, code: 'InvalidParameter' }));
    await expect(dispatcher.dispatch('SendUnicast', { AppId: 'app' })).rejects.toThrow();
    await moduleRef!.close();
    moduleRef = undefined;
    expect(appLog).not.toHaveBeenCalledWith(
      expect.stringContaining('InvalidParameter'),
      expect.anything(),
    );
  });

  it("logs through Nest's Logger with context RtcMessaging by default", async () => {
    // What nestjs-pino and friends see: the app's logger, with the module's context.
    const warn = jest.fn();
    const dispatcher = await dispatcherWith(
      { rateLimit: false },
      { log: () => undefined, warn, error: () => undefined },
    );
    call.mockRejectedValue(new RtcUpstreamError({ status: 400, code: 'InvalidParameter' }));
    await expect(dispatcher.dispatch('SendUnicast', { AppId: 'app' })).rejects.toThrow();
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^InvalidParameter: 1 failed call/),
      'RtcMessaging',
    );
  });

  it('validates logger at boot, naming the option', () => {
    for (const logger of ['pino', true, {}, { log: () => undefined }]) {
      expect(() => resolveOptions({ ...base, logger })).toThrow(RtcConfigurationError);
      expect(() => resolveOptions({ ...base, logger })).toThrow(/logger must be a LoggerService/);
    }
  });
});
