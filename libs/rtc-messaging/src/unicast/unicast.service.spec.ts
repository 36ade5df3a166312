import { Test, TestingModule } from '@nestjs/testing';
import { RtcValidationError } from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RtcOpenApiClient } from '../transport';
import { UnicastService } from './unicast.service';

describe('UnicastService', () => {
  let moduleRef: TestingModule;
  let unicast: UnicastService;
  const call = jest.fn();

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AK',
          secretAccessKey: 'SK',
          appId: 'default-app',
          from: 'default_bot',
        }),
      ],
    })
      .overrideProvider(RtcOpenApiClient)
      .useValue({ call })
      .compile();
    unicast = moduleRef.get(UnicastService);
  });

  afterAll(() => moduleRef.close());

  beforeEach(() => {
    call.mockReset();
    call.mockResolvedValue({ requestId: 'req-9', result: { Message: 'Success' } });
  });

  it('sends SendUnicast with the module defaults and returns requestId and message', async () => {
    await expect(unicast.send({ to: 'user_1', message: 'hi' })).resolves.toEqual({
      requestId: 'req-9',
      message: 'Success',
    });
    expect(call).toHaveBeenCalledWith('SendUnicast', {
      AppId: 'default-app',
      From: 'default_bot',
      To: 'user_1',
      Binary: false,
      Message: 'hi',
    });
  });

  it('lets a call override from and appId', async () => {
    await unicast.send({ to: 'user_1', message: 'hi', from: 'billing', appId: 'other-app' });
    expect(call).toHaveBeenCalledWith(
      'SendUnicast',
      expect.objectContaining({ AppId: 'other-app', From: 'billing' }),
    );
  });

  it('sendText sends text, with options', async () => {
    await unicast.sendText('user_2', '你好', { from: 'greeter' });
    expect(call).toHaveBeenCalledWith('SendUnicast', {
      AppId: 'default-app',
      From: 'greeter',
      To: 'user_2',
      Binary: false,
      Message: '你好',
    });
  });

  it('sendBinary base64-encodes exactly the given view of the bytes', async () => {
    const backing = Uint8Array.from([9, 9, 0x00, 0xff, 0x10, 9]);
    await unicast.sendBinary('user_3', backing.subarray(2, 5));
    expect(call).toHaveBeenCalledWith(
      'SendUnicast',
      expect.objectContaining({ Binary: true, Message: 'AP8Q' }),
    );
  });

  it('refuses invalid input without calling the upstream', async () => {
    await expect(unicast.send({ to: 'bad id', message: '' })).rejects.toBeInstanceOf(
      RtcValidationError,
    );
    await expect(unicast.sendBinary('user', new Uint8Array(65_537))).rejects.toThrow(
      /after base64 decoding; it is 65,537 bytes/,
    );
    await expect(unicast.sendText('user', 'x'.repeat(65_537))).rejects.toThrow(/65,537 bytes/);
    await expect(unicast.sendBinary('user', 'not bytes' as never)).rejects.toMatchObject({
      violations: [expect.objectContaining({ field: 'bytes', rule: 'isUint8Array' })],
    });
    expect(call).not.toHaveBeenCalled();
  });

  it('takes a signal beside the message: a live one is not sent upstream, an aborted one stops the send', async () => {
    const controller = new AbortController();
    await unicast.sendText('user_4', 'hi', { from: 'ops', signal: controller.signal });
    expect(call).toHaveBeenCalledWith('SendUnicast', {
      AppId: 'default-app',
      From: 'ops',
      To: 'user_4',
      Binary: false,
      Message: 'hi',
    });
    call.mockClear();
    controller.abort(new Error('caller gave up'));
    await expect(unicast.sendText('user_4', 'hi', { signal: controller.signal })).rejects.toThrow(
      'caller gave up',
    );
    expect(call).not.toHaveBeenCalled();
  });

  it('passes upstream errors through unchanged', async () => {
    const failure = new Error('boom');
    call.mockRejectedValueOnce(failure);
    await expect(unicast.sendText('user', 'x')).rejects.toBe(failure);
  });
});
