import { Test, TestingModule } from '@nestjs/testing';
import {
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
} from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';
import { RtcDispatcher } from './rtc-dispatcher';

const base: RtcMessagingModuleOptions = {
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
  appId: 'app',
  from: 'bot',
};
const success = { requestId: 'ok', result: { Message: 'Success' } };
const throttled = () => new RtcRateLimitedError(5, { status: 429, code: 'FlowLimitExceeded' });
const unavailable = () => new RtcUpstreamError({ status: 503, code: 'ServiceUnavailableTemp' });
const internal = () =>
  new RtcUnknownOutcomeError('upstream_error', 'x', { status: 500, code: 'InternalError' });

describe('RtcDispatcher', () => {
  let moduleRef: TestingModule;
  const call = jest.fn();

  async function dispatcherWith(
    options: Partial<RtcMessagingModuleOptions>,
  ): Promise<RtcDispatcher> {
    moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingModule.forRoot({ ...base, ...options })],
    })
      .overrideProvider(RtcOpenApiClient)
      .useValue({ call })
      .compile();
    return moduleRef.get(RtcDispatcher);
  }

  const send = (dispatcher: RtcDispatcher, signal?: AbortSignal) =>
    dispatcher.dispatch('SendUnicast', { AppId: 'app' }, signal);

  beforeEach(() => call.mockReset());
  afterEach(() => moduleRef?.close());

  it('retries failures that surely did not deliver, until one succeeds', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1, maxAttempts: 4 } });
    call
      .mockRejectedValueOnce(throttled())
      .mockRejectedValueOnce(unavailable())
      .mockRejectedValueOnce(new RtcTransportError('connect', 'ECONNREFUSED'))
      .mockResolvedValueOnce(success);
    await expect(send(dispatcher)).resolves.toBe(success);
    expect(call).toHaveBeenCalledTimes(4);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1, maxAttempts: 2 } });
    const last = unavailable();
    call.mockRejectedValueOnce(unavailable()).mockRejectedValueOnce(last);
    await expect(send(dispatcher)).rejects.toBe(last);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('stops retrying when the next wait would pass maxElapsedMs', async () => {
    const dispatcher = await dispatcherWith({ retry: { maxAttempts: 5, maxElapsedMs: 50 } });
    // Retry-After of 1 s is longer than the whole budget of 50 ms.
    const error = new RtcRateLimitedError(1_000, {
      status: 429,
      code: 'FlowLimitExceeded',
      retryAfterMs: 1_000,
    });
    call.mockRejectedValue(error);
    await expect(send(dispatcher)).rejects.toBe(error);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('never retries an unknown outcome by default (a retry could deliver twice)', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1 } });
    const error = internal();
    call.mockRejectedValue(error);
    await expect(send(dispatcher)).rejects.toBe(error);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('retries an unknown outcome when at-least-once delivery is chosen', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1, unknownOutcome: true } });
    call.mockRejectedValueOnce(internal()).mockResolvedValueOnce(success);
    await expect(send(dispatcher)).resolves.toBe(success);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('reports an unknown outcome when a later attempt is refused after one that may have delivered', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1, unknownOutcome: true } });
    const maybeDelivered = internal();
    call
      .mockRejectedValueOnce(maybeDelivered)
      .mockRejectedValueOnce(new RtcUpstreamError({ status: 400, code: 'InvalidParameter' }));
    await expect(send(dispatcher)).rejects.toBe(maybeDelivered);
  });

  it('does not retry a refusal', async () => {
    const dispatcher = await dispatcherWith({ retry: { baseDelayMs: 1 } });
    const error = new RtcUpstreamError({ status: 400, code: 'InvalidParameter.IllegalTo' });
    call.mockRejectedValue(error);
    await expect(send(dispatcher)).rejects.toBe(error);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('stops waiting for a retry when the signal aborts', async () => {
    const dispatcher = await dispatcherWith({
      retry: { baseDelayMs: 60_000, maxElapsedMs: 120_000 },
    });
    call.mockRejectedValue(new RtcTransportError('connect', 'x'));
    const controller = new AbortController();
    const sending = send(dispatcher, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('cancelled'));
    await expect(sending).rejects.toThrow('cancelled');
  });

  it('takes a budget unit for every attempt, retries included', async () => {
    const dispatcher = await dispatcherWith({
      rateLimit: { perSecond: 2, maxWaitMs: 0 },
      retry: { baseDelayMs: 1, maxAttempts: 3 },
    });
    call.mockRejectedValueOnce(unavailable()).mockResolvedValue(success);
    await expect(send(dispatcher)).resolves.toBe(success); // two units taken
    // The window now holds 2 of 2 units: the next call is refused by the budget, not sent.
    await expect(send(dispatcher)).rejects.toBeInstanceOf(RtcRateLimitedError);
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('sends without pacing when rateLimit is false', async () => {
    const dispatcher = await dispatcherWith({ rateLimit: false });
    call.mockResolvedValue(success);
    await Promise.all(Array.from({ length: 700 }, () => send(dispatcher)));
    expect(call).toHaveBeenCalledTimes(700);
  });
});
