import { Test, TestingModule } from '@nestjs/testing';
import { RtcUnknownOutcomeError, RtcUpstreamError, RtcValidationError } from '../errors';
import { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';
import type { FanOutResult } from './fan-out.types';
import { CANCELLED_REASON } from './send-status';
import { UnicastService } from './unicast.service';

describe('UnicastService.sendToMany', () => {
  let moduleRef: TestingModule | undefined;
  const call = jest.fn();

  async function unicastWith(options: Partial<RtcMessagingModuleOptions> = {}) {
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AK',
          secretAccessKey: 'SK',
          appId: 'default-app',
          from: 'default_bot',
          rateLimit: false,
          ...options,
        }),
      ],
    })
      .overrideProvider(RtcOpenApiClient)
      .useValue({ call })
      .compile();
    return moduleRef.get(UnicastService);
  }

  beforeEach(() => {
    call.mockReset();
    call.mockImplementation(async (_action: string, body: { To: string }) => ({
      requestId: `req-${body.To}`,
      result: { Message: 'Success' },
    }));
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('sends one SendUnicast per recipient with the module defaults', async () => {
    const unicast = await unicastWith();
    const summary = await unicast.sendToMany(['user_1', 'user_2'], 'hi');
    expect(summary).toMatchObject({ done: 2, sent: 2, refused: 0, unknown: 0, cancelled: false });
    expect(call.mock.calls.sort()).toEqual([
      [
        'SendUnicast',
        { AppId: 'default-app', From: 'default_bot', To: 'user_1', Binary: false, Message: 'hi' },
      ],
      [
        'SendUnicast',
        { AppId: 'default-app', From: 'default_bot', To: 'user_2', Binary: false, Message: 'hi' },
      ],
    ]);
  });

  it('sends binary with from and appId overrides, and streams RequestIds', async () => {
    const unicast = await unicastWith();
    const results: FanOutResult[] = [];
    await unicast.sendToMany(new Set(['u1']), 'AP8Q', {
      binary: true,
      from: 'ops_bot',
      appId: 'other-app',
      onResult: (r) => void results.push(r),
    });
    expect(call).toHaveBeenCalledWith('SendUnicast', {
      AppId: 'other-app',
      From: 'ops_bot',
      To: 'u1',
      Binary: true,
      Message: 'AP8Q',
    });
    expect(results).toEqual([{ to: 'u1', index: 0, status: 'sent', requestId: 'req-u1' }]);
  });

  it('refuses malformed ids one by one and still sends to the rest', async () => {
    const unicast = await unicastWith();
    const results: FanOutResult[] = [];
    const summary = await unicast.sendToMany(
      ['ok_1', 'bad id', 'ok_2', '', 'x'.repeat(129), 42 as never, 'ok_3'],
      'hi',
      { onResult: (r) => void results.push(r) },
    );
    expect(summary).toMatchObject({ done: 7, sent: 3, refused: 4 });
    expect(summary.refusals.map((r) => r.index)).toEqual([1, 3, 4, 5]);
    expect(summary.refusals[0].reason).toMatch(/^to must be a string of 1 to 128 characters/);
    const refused = results.filter((r) => r.status === 'refused');
    expect(refused[0].error).toBeInstanceOf(RtcValidationError);
    expect((refused[0].error as RtcValidationError).violations).toEqual([
      expect.objectContaining({ field: 'to', rule: 'rtcId' }),
    ]);
    expect(call.mock.calls.map(([, body]) => body.To).sort()).toEqual(['ok_1', 'ok_2', 'ok_3']);
  });

  it('maps an unknown outcome to unknown and every other failure to refused', async () => {
    const unicast = await unicastWith();
    call.mockImplementation(async (_action: string, { To }: { To: string }) => {
      if (To === 'timeout') throw new RtcUnknownOutcomeError('timeout', 'no answer');
      if (To === 'denied') throw new RtcUpstreamError({ status: 403, code: 'AccessDenied' });
      return { requestId: 'r', result: { Message: 'Success' } };
    });
    const summary = await unicast.sendToMany(['a', 'timeout', 'denied', 'b'], 'hi');
    expect(summary).toMatchObject({
      sent: 2,
      unknown: 1,
      refused: 1,
      unknowns: [{ to: 'timeout', index: 1 }],
      refusals: [{ to: 'denied', index: 2 }],
    });
  });

  describe('validates the message once, before anything is sent', () => {
    it('refuses an oversize message', async () => {
      const unicast = await unicastWith();
      const pulled = jest.fn();
      function* recipients() {
        pulled();
        yield 'user_1';
      }
      await expect(unicast.sendToMany(recipients(), 'x'.repeat(65_537))).rejects.toThrow(
        /65,537 bytes/,
      );
      expect(pulled).not.toHaveBeenCalled();
      expect(call).not.toHaveBeenCalled();
    });

    it('names the message and the options that break a rule, all at once', async () => {
      const unicast = await unicastWith();
      const error = await unicast
        .sendToMany('user_1' as never, '', { from: 'bad from', concurrency: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcValidationError);
      expect(
        (error as RtcValidationError).violations.map((v) => `${v.field}:${v.rule}`).sort(),
      ).toEqual(['concurrency:isInt', 'from:rtcId', 'message:notEmpty', 'recipients:isIterable']);
      expect(call).not.toHaveBeenCalled();
    });

    it('refuses an unknown option instead of ignoring it', async () => {
      const unicast = await unicastWith();
      await expect(
        unicast.sendToMany(['u'], 'hi', { priority: 'high' } as never),
      ).rejects.toMatchObject({
        violations: [{ field: 'priority', rule: 'unknownField', message: expect.any(String) }],
      });
    });

    it('refuses a binary message that is not canonical base64', async () => {
      const unicast = await unicastWith();
      await expect(unicast.sendToMany(['u'], 'hello world!', { binary: true })).rejects.toThrow(
        /canonical base64/,
      );
    });
  });

  it('a cancel during the wait for budget refuses the waiting recipients, sends nothing more', async () => {
    // Two calls per second: the first two go out, the next ones wait for budget.
    const unicast = await unicastWith({ rateLimit: { perSecond: 2, maxWaitMs: 5_000 } });
    const controller = new AbortController();
    const results: FanOutResult[] = [];
    const run = unicast.sendToMany(['u0', 'u1', 'u2', 'u3', 'u4', 'u5'], 'hi', {
      concurrency: 4,
      signal: controller.signal,
      onResult: (r) => {
        results.push(r);
        if (results.length === 2) setTimeout(() => controller.abort(), 20);
      },
    });
    const summary = await run;

    expect(summary).toMatchObject({ cancelled: true, sent: 2, refused: 4, unknown: 0 });
    expect(call).toHaveBeenCalledTimes(2);
    const sent = results.filter((r) => r.status === 'sent').map((r) => r.to);
    expect(call.mock.calls.map(([, body]) => body.To).sort()).toEqual(sent.sort());
    expect(results.filter((r) => r.status === 'refused').map((r) => r.reason)).toEqual(
      Array(4).fill(CANCELLED_REASON),
    );
  });

  describe('under the shared call budget', () => {
    it('never refuses a recipient because the budget is busy: concurrent runs wait their turn', async () => {
      // 200 callers waiting at once, four times maxQueued: interactive callers would be refused.
      const unicast = await unicastWith({ rateLimit: { perSecond: 1_000, maxQueued: 50 } });
      const runs = await Promise.all(
        ['a', 'b'].map((run) =>
          unicast.sendToMany(
            Array.from({ length: 600 }, (_, i) => `${run}_${i}`),
            'hi',
            { concurrency: 100 },
          ),
        ),
      );
      for (const summary of runs) {
        expect(summary).toMatchObject({ done: 600, sent: 600, refused: 0, unknown: 0 });
      }
      expect(call).toHaveBeenCalledTimes(1_200);
    });

    it('lets a single send go ahead of a fan-out that saturates the budget', async () => {
      const unicast = await unicastWith({ rateLimit: { perSecond: 100, maxWaitMs: 200 } });
      const fanOut = unicast.sendToMany(
        Array.from({ length: 150 }, (_, i) => `user_${i}`),
        'campaign',
        { concurrency: 100 },
      );
      // Once the fan-out's callers fill the queue, a user-facing message still gets the next unit.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(unicast.sendText('vip', 'your code is 1234')).resolves.toMatchObject({
        requestId: 'req-vip',
      });
      await expect(fanOut).resolves.toMatchObject({ sent: 150, refused: 0 });
    });
  });

  it('does not pass the signal down when unknown outcomes are retried', async () => {
    const unicast = await unicastWith({ retry: { unknownOutcome: true } });
    const dispatch = jest.spyOn(moduleRef!.get(RtcDispatcher), 'dispatch');
    await unicast.sendToMany(['u'], 'hi', { signal: new AbortController().signal });
    expect(dispatch).toHaveBeenCalledWith('SendUnicast', expect.any(Object), undefined, 'bulk');
  });
});
