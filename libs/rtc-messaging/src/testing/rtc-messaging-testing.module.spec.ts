import { HttpService } from '@nestjs/axios';
import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import {
  RtcConfigurationError,
  RtcError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
} from '../errors';
import { RtcMessagingHealthIndicator } from '../health';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RTC_HTTP_SERVICE, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { UnicastService } from '../unicast';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from './emulator';
import { RtcMessagingTestingModule } from './rtc-messaging-testing.module';
import { RtcMessagingRecorder } from './rtc-messaging.recorder';

/** A feature of the app under test: it injects UnicastService and never imports the module. */
@Injectable()
class OrderNotifier {
  constructor(private readonly unicast: UnicastService) {}

  async orderShipped(userId: string, orderId: string): Promise<string> {
    const { requestId } = await this.unicast.sendText(userId, `Order ${orderId} has shipped`);
    return requestId;
  }
}

@Module({ providers: [OrderNotifier], exports: [OrderNotifier] })
class OrdersModule {}

const REQUEST_ID = /^\d{14}[0-9A-F]{24}$/;

describe('RtcMessagingTestingModule', () => {
  describe('with a feature module that injects UnicastService', () => {
    let moduleRef: TestingModule;
    let notifier: OrderNotifier;
    let recorder: RtcMessagingRecorder;

    beforeAll(async () => {
      moduleRef = await Test.createTestingModule({
        imports: [RtcMessagingTestingModule.forRoot(), OrdersModule],
      }).compile();
      notifier = moduleRef.get(OrderNotifier);
      recorder = moduleRef.get(RtcMessagingRecorder);
    });
    afterAll(() => moduleRef.close());
    beforeEach(() => recorder.clear());

    it('records what the upstream would have received, with the fake defaults', async () => {
      const requestId = await notifier.orderShipped('user_42', 'A-1');

      expect(requestId).toMatch(REQUEST_ID);
      expect(recorder.sent).toEqual([
        {
          action: 'SendUnicast',
          body: {
            AppId: 'testing-app',
            From: 'testing_bot',
            To: 'user_42',
            Binary: false,
            Message: 'Order A-1 has shipped',
          },
          requestId,
          at: expect.any(Date),
        },
      ]);
      expect(recorder.last()?.requestId).toBe(requestId);
    });

    it('sentTo picks one user, last() the latest call, clear() forgets', async () => {
      await notifier.orderShipped('user_1', 'A-1');
      await notifier.orderShipped('user_2', 'A-2');
      await notifier.orderShipped('user_1', 'A-3');

      expect(recorder.sentTo('user_1').map((call) => call.body.Message)).toEqual([
        'Order A-1 has shipped',
        'Order A-3 has shipped',
      ]);
      expect(recorder.sentTo('nobody')).toEqual([]);
      expect(recorder.last()?.body.To).toBe('user_1');
      recorder.clear();
      expect(recorder.sent).toEqual([]);
      expect(recorder.last()).toBeUndefined();
    });

    it('still validates: a 70 KB message is refused as in production, and nothing is recorded', async () => {
      const unicast = moduleRef.get(UnicastService);
      const error: unknown = await unicast.sendText('user_42', 'x'.repeat(70_000)).catch((e) => e);

      expect(error).toBeInstanceOf(RtcValidationError);
      expect((error as RtcValidationError).violations).toEqual([
        expect.objectContaining({ field: 'message', rule: 'maxMessageBytes' }),
      ]);
      await expect(notifier.orderShipped('bad id', 'A-1')).rejects.toBeInstanceOf(
        RtcValidationError,
      );
      expect(recorder.sent).toEqual([]);
    });

    it('failNext(error) rejects the next calls with that very error, then sends again', async () => {
      const failure = new RtcTransportError('connect', 'ECONNREFUSED');
      recorder.failNext(failure, 2);

      await expect(notifier.orderShipped('user_42', 'A-1')).rejects.toBe(failure);
      await expect(notifier.orderShipped('user_42', 'A-2')).rejects.toBe(failure);
      await expect(notifier.orderShipped('user_42', 'A-3')).resolves.toMatch(REQUEST_ID);
      expect(recorder.sent.map((call) => call.body.Message)).toEqual(['Order A-3 has shipped']);
    });

    it('failNext(code) raises the typed error of that upstream answer', async () => {
      recorder.failNext('InvalidParameter.IllegalTo');
      const error: unknown = await notifier.orderShipped('user_42', 'A-1').catch((e) => e);

      expect(error).toBeInstanceOf(RtcUpstreamError);
      expect(error).toMatchObject({
        status: 400,
        code: 'InvalidParameter.IllegalTo',
        outcome: 'not_delivered',
        requestId: expect.stringMatching(REQUEST_ID),
      });
    });

    it('failures are queued in order, and clear() drops those not used', async () => {
      recorder.failNext('InternalServiceTimeout');
      recorder.failNext('FlowLimitExceeded.QPSOverLimit');
      await expect(notifier.orderShipped('u', '1')).rejects.toBeInstanceOf(RtcUnknownOutcomeError);
      await expect(notifier.orderShipped('u', '2')).rejects.toBeInstanceOf(RtcRateLimitedError);

      recorder.failNext('SignatureDoesNotMatch', Infinity);
      recorder.clear();
      await expect(notifier.orderShipped('u', '3')).resolves.toMatch(REQUEST_ID);
    });

    it('failNext refuses what it cannot raise', () => {
      expect(() => recorder.failNext('')).toThrow(TypeError);
      expect(() => recorder.failNext('SignatureDoesNotMatch', 0)).toThrow(RangeError);
      expect(() => recorder.failNext('SignatureDoesNotMatch', 1.5)).toThrow(RangeError);
    });

    it('records a copy of the body, and batch recipients for sentTo', async () => {
      const body = { AppId: 'a', From: 'bot', To: ['u1', 'u2'], RoomId: 'r', Message: 'hi' };
      await recorder.dispatch('BatchSendRoomUnicast', body);
      body.To.push('u3');

      expect(recorder.sentTo('u2')).toHaveLength(1);
      expect(recorder.sentTo('u3')).toEqual([]);
    });

    it('answers an aborted signal with its reason', async () => {
      const controller = new AbortController();
      controller.abort(new Error('cancelled'));
      await expect(
        recorder.dispatch('SendUnicast', { AppId: 'a' }, controller.signal),
      ).rejects.toThrow('cancelled');
    });
  });

  it('provides everything the real module exports, so every service of it is covered', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingTestingModule.forRoot()],
    }).compile();
    const exported = Reflect.getMetadata('exports', RtcMessagingModule) as unknown[];

    expect(exported).toContain(UnicastService);
    for (const token of exported) {
      expect(moduleRef.get(token as string, { strict: false })).toBeDefined();
    }
    await moduleRef.close();
  });

  it('never touches the network: an unroutable endpoint is fine, and its HTTP client sends nothing', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingTestingModule.forRoot({ endpoint: 'http://127.0.0.1:1' })],
    }).compile();

    await expect(moduleRef.get(UnicastService).sendText('user_42', 'hi')).resolves.toMatchObject({
      message: 'Success',
    });
    await expect(moduleRef.get<HttpService>(RTC_HTTP_SERVICE).axiosRef.get('/')).rejects.toThrow(
      'RtcMessagingTestingModule sends nothing over HTTP',
    );
    await moduleRef.close();
  });

  it('takes the options of the real module, and validates them the same way', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingTestingModule.forRoot({ appId: 'my-app', from: 'billing' })],
    }).compile();
    await moduleRef.get(UnicastService).sendText('user_42', 'hi');

    expect(moduleRef.get(RtcMessagingRecorder).last()?.body).toMatchObject({
      AppId: 'my-app',
      From: 'billing',
    });
    expect(moduleRef.get<ResolvedRtcMessagingOptions>(RTC_MESSAGING_OPTIONS).appId).toBe('my-app');
    await moduleRef.close();

    await expect(
      Test.createTestingModule({
        imports: [RtcMessagingTestingModule.forRoot({ from: 'not an id' })],
      }).compile(),
    ).rejects.toBeInstanceOf(RtcConfigurationError);
  });

  it('with isGlobal: false, only modules that import it see the services', async () => {
    await expect(
      Test.createTestingModule({
        imports: [RtcMessagingTestingModule.forRoot({ isGlobal: false }), OrdersModule],
      }).compile(),
    ).rejects.toThrow(/UnicastService/);
  });

  it('replaces the real module of an app module through overrideModule', async () => {
    // As an app would keep it: the real registration in a constant, so a test can name it.
    const rtcMessaging = RtcMessagingModule.forRoot({
      accessKeyId: 'AKLTreal',
      secretAccessKey: 'real-secret',
      appId: 'real-app',
      from: 'real_bot',
      endpoint: 'http://127.0.0.1:1',
    });
    @Module({ imports: [rtcMessaging], providers: [OrderNotifier] })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideModule(rtcMessaging)
      .useModule(RtcMessagingTestingModule.forRoot({ appId: 'real-app' }))
      .compile();
    await moduleRef.get(OrderNotifier).orderShipped('user_42', 'A-1');

    expect(moduleRef.get(RtcMessagingRecorder).sentTo('user_42')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ AppId: 'real-app' }) }),
    ]);
    await moduleRef.close();
  });

  it('lets the health indicator report up without a probe going out', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingTestingModule.forRoot(), TerminusModule],
      providers: [RtcMessagingHealthIndicator],
    }).compile();

    await expect(moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc')).resolves.toEqual({
      rtc: expect.objectContaining({ status: 'up' }),
    });
    expect(moduleRef.get(HealthIndicatorService)).toBeDefined();
    await moduleRef.close();
  });

  describe('failNext(code) raises what the real client raises for that answer', () => {
    const emulator = new RtcOpenApiEmulator();
    let real: TestingModule;
    let fake: TestingModule;

    beforeAll(async () => {
      const endpoint = await emulator.start();
      real = await Test.createTestingModule({
        imports: [
          RtcMessagingModule.forRoot({
            ...EMULATOR_DEMO_CREDENTIALS,
            appId: 'app',
            from: 'bot',
            endpoint,
            // Only the mapping of answers to errors is compared: no pacing, no second attempt.
            rateLimit: false,
            retry: { maxAttempts: 1 },
          }),
        ],
      }).compile();
      fake = await Test.createTestingModule({
        imports: [RtcMessagingTestingModule.forRoot()],
      }).compile();
    });
    afterAll(async () => {
      await Promise.all([real.close(), fake.close(), emulator.stop()]);
    });

    const describeError = (error: unknown) => {
      expect(error).toBeInstanceOf(RtcError);
      const { name, outcome, status, code, codeN } = error as RtcUpstreamError;
      return { name, outcome, status, code, codeN };
    };

    it.each([
      ['InvalidParameter.IllegalTo', 400],
      ['InvalidParameter.NotExistAppId', 400],
      ['SignatureDoesNotMatch', undefined],
      ['AccessDenied', undefined],
      ['FailToConnect', undefined],
      ['InternalError', undefined],
      ['InternalServiceTimeout', undefined],
      ['InvalidTimestamp', undefined],
      ['FlowLimitExceeded.QPSOverLimit', 429],
    ])('%s', async (code, status) => {
      emulator.injectFault({ type: 'error', code, status });
      const fromEmulator: unknown = await real
        .get(UnicastService)
        .sendText('user_42', 'hi')
        .catch((e) => e);
      fake.get(RtcMessagingRecorder).failNext(code);
      const fromRecorder: unknown = await fake
        .get(UnicastService)
        .sendText('user_42', 'hi')
        .catch((e) => e);

      expect(describeError(fromRecorder)).toEqual(describeError(fromEmulator));
      if (fromEmulator instanceof RtcRateLimitedError) {
        expect((fromRecorder as RtcRateLimitedError).upstream).toMatchObject({ code, status: 429 });
      }
    });
  });
});
