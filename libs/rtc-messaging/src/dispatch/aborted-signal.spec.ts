import { Test, TestingModule } from '@nestjs/testing';
import { RoomMessagingService } from '../room/room-messaging.service';
import { RtcMessagingModule } from '../rtc-messaging.module';
import type { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';
import { UnicastService } from '../unicast/unicast.service';

/**
 * A signal that is already aborted refuses a single send before anything goes out, with the
 * signal's reason, whether or not the module has a call budget (the budget used to be the only
 * place that checked it, so with `rateLimit: false` UnicastService sent anyway).
 */
describe.each([
  ['rateLimit: false', { rateLimit: false }],
  ['the default budget', {}],
  // The services then keep the signal from the dispatcher (see `dispatchSignal`), so they check it.
  ['retry.unknownOutcome on', { retry: { unknownOutcome: true } }],
] as [string, Partial<RtcMessagingModuleOptions>][])(
  'an aborted signal, with %s',
  (_name, options) => {
    let moduleRef: TestingModule;
    let unicast: UnicastService;
    let rooms: RoomMessagingService;
    const call = jest.fn();
    const reason = new Error('caller gave up');
    const aborted = () => AbortSignal.abort(reason);

    beforeAll(async () => {
      moduleRef = await Test.createTestingModule({
        imports: [
          RtcMessagingModule.forRoot({
            accessKeyId: 'AK',
            secretAccessKey: 'SK',
            appId: 'app',
            from: 'bot',
            ...options,
          }),
        ],
      })
        .overrideProvider(RtcOpenApiClient)
        .useValue({ call })
        .compile();
      unicast = moduleRef.get(UnicastService);
      rooms = moduleRef.get(RoomMessagingService);
    });

    afterAll(() => moduleRef.close());

    beforeEach(() => {
      call.mockReset();
      call.mockResolvedValue({ requestId: 'req-1', result: { Message: 'Success' } });
    });

    it.each([
      [
        'UnicastService.send',
        () => unicast.send({ to: 'u1', message: 'hi' }, { signal: aborted() }),
      ],
      ['UnicastService.sendText', () => unicast.sendText('u1', 'hi', { signal: aborted() })],
      [
        'UnicastService.sendBinary',
        () => unicast.sendBinary('u1', Uint8Array.of(1), { signal: aborted() }),
      ],
      ['RoomMessagingService.broadcast', () => rooms.broadcast('r1', 'hi', { signal: aborted() })],
      [
        'RoomMessagingService.sendToUser',
        () => rooms.sendToUser('r1', 'u1', 'hi', { signal: aborted() }),
      ],
    ])('%s rejects with its reason and sends nothing', async (_method, send) => {
      await expect(send()).rejects.toBe(reason);
      expect(call).not.toHaveBeenCalled();
    });

    it('RoomMessagingService.sendToUsers reports the batch as cancelled and sends nothing', async () => {
      const result = await rooms.sendToUsers('r1', ['u1', 'u2'], 'hi', { signal: aborted() });
      expect(result).toMatchObject({ sent: 0, refused: 2, cancelled: true });
      expect(call).not.toHaveBeenCalled();
    });

    it('a live signal still sends', async () => {
      const signal = new AbortController().signal;
      await expect(unicast.sendText('u1', 'hi', { signal })).resolves.toEqual({
        requestId: 'req-1',
        message: 'Success',
      });
      await expect(rooms.broadcast('r1', 'hi', { signal })).resolves.toMatchObject({
        requestId: 'req-1',
      });
      expect(call).toHaveBeenCalledTimes(2);
    });
  },
);
