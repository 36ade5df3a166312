import { Logger, LoggerService } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { deadPort } from '../../test/dead-port';
import { RtcTransportError } from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { EMULATOR_DEMO_CREDENTIALS } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';

/**
 * An outage must not flood the log: the dispatcher writes one summary line per error code per
 * window, and nothing else writes a line per failed call (the transport used to warn on each).
 */
describe('logs during an outage', () => {
  let moduleRef: TestingModule;

  afterEach(() => moduleRef.close());

  it('writes a few lines for 300 calls that cannot connect, not one per call', async () => {
    const lines: string[] = [];
    const record = (message: unknown) => void lines.push(String(message));
    const appLogger: LoggerService = { log: record, warn: record, error: record, debug: record };
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          ...EMULATOR_DEMO_CREDENTIALS,
          appId: 'app',
          from: 'bot',
          endpoint: `http://127.0.0.1:${await deadPort()}`,
          rateLimit: false,
          retry: { maxAttempts: 1 },
        }),
      ],
    })
      .setLogger(appLogger)
      .compile();
    Logger.overrideLogger(appLogger);
    const unicast = moduleRef.get(UnicastService);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => unicast.sendText(`user_${i}`, 'hi')),
    );
    expect(
      outcomes.every((o) => o.status === 'rejected' && o.reason instanceof RtcTransportError),
    ).toBe(true);
    expect(lines.filter((line) => /ECONNREFUSED|connect/.test(line))).toHaveLength(1);
  });
});
