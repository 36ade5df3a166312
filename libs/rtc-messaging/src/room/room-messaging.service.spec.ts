import { Test, TestingModule } from '@nestjs/testing';
import { RtcUnknownOutcomeError, RtcUpstreamError, RtcValidationError } from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RtcOpenApiClient } from '../transport';
import { CANCELLED_REASON } from '../unicast/send-status';
import { batchRanges } from './batch-chunks';
import { RoomMessagingService } from './room-messaging.service';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `user_${i}`);

describe('batchRanges', () => {
  it.each([
    [1, [1]],
    [600, [600]],
    [601, [600, 1]],
    [1_200, [600, 600]],
    [1_201, [600, 600, 1]],
  ])('splits %p ids into calls of %p', (length, sizes) => {
    const ranges = [...batchRanges(length, 600)];
    expect(ranges.map(({ start, end }) => end - start)).toEqual(sizes);
    expect(ranges[0].start).toBe(0);
    expect(ranges.at(-1)!.end).toBe(length);
  });

  it('yields nothing for nothing, and refuses a size below 1', () => {
    expect([...batchRanges(0, 600)]).toEqual([]);
    expect(() => [...batchRanges(5, 0)]).toThrow(RangeError);
  });
});

describe('RoomMessagingService', () => {
  let moduleRef: TestingModule;
  let rooms: RoomMessagingService;
  const call = jest.fn();

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AK',
          secretAccessKey: 'SK',
          appId: 'default-app',
          from: 'default_bot',
          rateLimit: false,
        }),
      ],
    })
      .overrideProvider(RtcOpenApiClient)
      .useValue({ call })
      .compile();
    rooms = moduleRef.get(RoomMessagingService);
  });

  afterAll(() => moduleRef.close());

  beforeEach(() => {
    call.mockReset();
    let n = 0;
    call.mockImplementation(async () => ({
      requestId: `req-${++n}`,
      result: { Message: 'Success' },
    }));
  });

  describe('sendToUser', () => {
    it('sends SendRoomUnicast with the module defaults', async () => {
      await expect(rooms.sendToUser('lobby', 'user_1', 'hi')).resolves.toEqual({
        requestId: 'req-1',
        message: 'Success',
      });
      expect(call).toHaveBeenCalledWith('SendRoomUnicast', {
        AppId: 'default-app',
        RoomId: 'lobby',
        From: 'default_bot',
        To: 'user_1',
        Binary: false,
        Message: 'hi',
      });
    });

    it('takes binary, from and appId', async () => {
      await rooms.sendToUser('lobby', 'user_1', 'AP8Q', {
        binary: true,
        from: 'referee',
        appId: 'other',
      });
      expect(call).toHaveBeenCalledWith('SendRoomUnicast', {
        AppId: 'other',
        RoomId: 'lobby',
        From: 'referee',
        To: 'user_1',
        Binary: true,
        Message: 'AP8Q',
      });
    });

    it('names roomId, to and message when they break rules, and sends nothing', async () => {
      const error = await rooms.sendToUser('a room', 'bad id', '').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcValidationError);
      expect(
        (error as RtcValidationError).violations.map((v) => `${v.field}:${v.rule}`).sort(),
      ).toEqual(['message:notEmpty', 'roomId:rtcId', 'to:rtcId']);
      expect(call).not.toHaveBeenCalled();
    });

    it('passes upstream errors through unchanged', async () => {
      const failure = new RtcUpstreamError({ status: 400, code: 'InvalidParameter' });
      call.mockRejectedValueOnce(failure);
      await expect(rooms.sendToUser('lobby', 'u', 'hi')).rejects.toBe(failure);
    });
  });

  describe('broadcast', () => {
    it('sends SendBroadcast with no To', async () => {
      await expect(rooms.broadcast('lobby', 'Round 2')).resolves.toMatchObject({
        requestId: 'req-1',
      });
      expect(call).toHaveBeenCalledWith('SendBroadcast', {
        AppId: 'default-app',
        RoomId: 'lobby',
        From: 'default_bot',
        Binary: false,
        Message: 'Round 2',
      });
    });

    it('takes 64 KB and refuses a byte more', async () => {
      await rooms.broadcast('lobby', 'a'.repeat(65_536));
      await expect(rooms.broadcast('lobby', 'a'.repeat(65_537))).rejects.toThrow(/65,537 bytes/);
      expect(call).toHaveBeenCalledTimes(1);
    });

    it('refuses an unknown option and a signal that is not an AbortSignal', async () => {
      await expect(rooms.broadcast('lobby', 'hi', { to: 'u' } as never)).rejects.toMatchObject({
        violations: [expect.objectContaining({ field: 'to', rule: 'unknownField' })],
      });
      await expect(
        rooms.broadcast('lobby', 'hi', { signal: 'stop' as never }),
      ).rejects.toMatchObject({
        violations: [expect.objectContaining({ field: 'signal', rule: 'isAbortSignal' })],
      });
      expect(call).not.toHaveBeenCalled();
    });

    it('does not send when the signal is already aborted', async () => {
      const controller = new AbortController();
      const reason = new Error('shutting down');
      controller.abort(reason);
      await expect(rooms.broadcast('lobby', 'hi', { signal: controller.signal })).rejects.toBe(
        reason,
      );
      expect(call).not.toHaveBeenCalled();
    });
  });

  describe('sendToUsers', () => {
    it('sends one BatchSendRoomUnicast for up to 600 ids', async () => {
      const result = await rooms.sendToUsers('lobby', ['a', 'b'], 'gg');
      expect(call).toHaveBeenCalledWith('BatchSendRoomUnicast', {
        AppId: 'default-app',
        RoomId: 'lobby',
        From: 'default_bot',
        To: ['a', 'b'],
        Binary: false,
        Message: 'gg',
      });
      expect(result).toEqual({
        chunks: [{ start: 0, end: 2, to: ['a', 'b'], status: 'sent', requestId: 'req-1' }],
        sent: 2,
        refused: 0,
        unknown: 0,
        cancelled: false,
      });
    });

    it.each([
      [600, [600]],
      [601, [600, 1]],
      [1_200, [600, 600]],
      [1_201, [600, 600, 1]],
    ])('splits %p ids into calls of %p, in list order', async (length, sizes) => {
      const list = ids(length);
      const result = await rooms.sendToUsers('lobby', list, 'gg');
      const sentLists = call.mock.calls.map(([, body]) => body.To as string[]);
      expect(sentLists.map((to) => to.length)).toEqual(sizes);
      expect(sentLists.flat()).toEqual(list);
      expect(result.chunks.map((c) => [c.start, c.end, c.requestId])).toEqual(
        sizes.map((size, i) => [i * 600, i * 600 + size, `req-${i + 1}`]),
      );
      expect(result.sent).toBe(length);
    });

    it('reports each chunk: a failed chunk does not stop the ones after it', async () => {
      call
        .mockResolvedValueOnce({ requestId: 'req-a', result: { Message: 'Success' } })
        .mockRejectedValueOnce(new RtcUpstreamError({ status: 403, code: 'AccessDenied' }))
        .mockRejectedValueOnce(new RtcUnknownOutcomeError('timeout', 'no answer'))
        .mockResolvedValueOnce({ requestId: 'req-d', result: { Message: 'Success' } });
      const result = await rooms.sendToUsers('lobby', ids(1_801), 'gg');

      expect(call).toHaveBeenCalledTimes(4);
      expect(result.chunks.map(({ start, end, status }) => ({ start, end, status }))).toEqual([
        { start: 0, end: 600, status: 'sent' },
        { start: 600, end: 1_200, status: 'refused' },
        { start: 1_200, end: 1_800, status: 'unknown' },
        { start: 1_800, end: 1_801, status: 'sent' },
      ]);
      expect(result.chunks[1]).toMatchObject({
        error: expect.any(RtcUpstreamError),
        reason: expect.stringContaining('AccessDenied'),
        to: ids(1_200).slice(600),
      });
      expect(result.chunks[1].requestId).toBeUndefined();
      expect(result).toMatchObject({ sent: 601, refused: 600, unknown: 600, cancelled: false });
    });

    it('refuses a malformed id anywhere in the list, naming each, and sends nothing', async () => {
      const list = ids(1_500);
      list[3] = 'bad id';
      list[1_234] = '';
      const error = await rooms.sendToUsers('lobby', list, 'gg').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcValidationError);
      expect((error as RtcValidationError).violations).toEqual([
        {
          field: 'to[3]',
          rule: 'rtcId',
          message: expect.stringMatching(/^to\[3\] must be a string of 1 to 128 characters/),
        },
        expect.objectContaining({ field: 'to[1234]', rule: 'rtcId' }),
      ]);
      expect(call).not.toHaveBeenCalled();
    });

    it('refuses an empty list, a bad room id and a message over 20 KB at once', async () => {
      const error = await rooms
        .sendToUsers('a room', [], 'a'.repeat(20_481))
        .catch((e: unknown) => e);
      expect(
        (error as RtcValidationError).violations.map((v) => `${v.field}:${v.rule}`).sort(),
      ).toEqual(['message:maxMessageBytes', 'roomId:rtcId', 'to:arrayNotEmpty']);
      expect(call).not.toHaveBeenCalled();
    });

    it('takes 20 KB (not 64 KB) for a batch', async () => {
      await rooms.sendToUsers('lobby', ['a'], 'a'.repeat(20_480));
      await expect(rooms.sendToUsers('lobby', ['a'], 'a'.repeat(20_481))).rejects.toThrow(
        /at most 20,480 bytes in UTF-8; it is 20,481 bytes/,
      );
      expect(call).toHaveBeenCalledTimes(1);
    });

    it('a cancel between chunks leaves the rest refused as cancelled', async () => {
      const controller = new AbortController();
      call.mockImplementationOnce(async () => {
        controller.abort();
        return { requestId: 'req-1', result: { Message: 'Success' } };
      });
      const result = await rooms.sendToUsers('lobby', ids(1_500), 'gg', {
        signal: controller.signal,
      });
      expect(call).toHaveBeenCalledTimes(1);
      expect(result).toMatchObject({ sent: 600, refused: 900, unknown: 0, cancelled: true });
      expect(result.chunks.map((c) => [c.status, c.reason])).toEqual([
        ['sent', undefined],
        ['refused', CANCELLED_REASON],
        ['refused', CANCELLED_REASON],
      ]);
    });
  });
});
