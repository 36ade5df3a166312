import type { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { RtcUnknownOutcomeError, RtcUpstreamError } from '../errors';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { RoomMessagingService } from './room-messaging.service';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `user_${i}`);

/** The room actions, signed and sent over HTTP to the local OpenAPI emulator. */
describe('RoomMessagingService against the emulator', () => {
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  async function roomsWith(
    options: Partial<RtcMessagingModuleOptions> = {},
  ): Promise<RoomMessagingService> {
    moduleRef = await compileAgainst(emulator, { rateLimit: false, ...options });
    return moduleRef.get(RoomMessagingService);
  }

  beforeEach(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 0 });
    await emulator.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  it('broadcast is accepted as SendBroadcast with the room and no recipient', async () => {
    const rooms = await roomsWith();
    const { requestId } = await rooms.broadcast('match_17', 'Round 2');
    expect(emulator.accepted).toEqual([
      expect.objectContaining({
        action: 'SendBroadcast',
        requestId,
        appId: 'app',
        roomId: 'match_17',
        from: 'server_bot',
        to: undefined,
        binary: false,
        message: 'Round 2',
      }),
    ]);
  });

  it('sendToUser is accepted as SendRoomUnicast, binary included', async () => {
    const rooms = await roomsWith();
    const message = Buffer.alloc(65_536, 7).toString('base64');
    const { requestId } = await rooms.sendToUser('match_17', 'user_42', message, {
      binary: true,
      from: 'referee',
    });
    expect(emulator.accepted).toEqual([
      expect.objectContaining({
        action: 'SendRoomUnicast',
        requestId,
        roomId: 'match_17',
        from: 'referee',
        to: 'user_42',
        binary: true,
        message,
      }),
    ]);
  });

  it('sends 1,201 ids as three batches of 600, 600 and 1', async () => {
    const rooms = await roomsWith();
    const list = ids(1_201);
    const result = await rooms.sendToUsers('match_17', list, 'Regroup');

    const batches = emulator.accepted.filter((m) => m.action === 'BatchSendRoomUnicast');
    expect(emulator.received).toBe(3);
    expect(batches.map((m) => (m.to as string[]).length)).toEqual([600, 600, 1]);
    expect(batches.flatMap((m) => m.to as string[])).toEqual(list);
    expect(batches.every((m) => m.roomId === 'match_17' && m.message === 'Regroup')).toBe(true);
    expect(result).toMatchObject({ sent: 1_201, refused: 0, unknown: 0, cancelled: false });
    expect(result.chunks.map((c) => c.requestId)).toEqual(batches.map((m) => m.requestId));
  });

  it('a batch of 20 KB binary is accepted', async () => {
    const rooms = await roomsWith();
    const message = Buffer.alloc(20_480, 1).toString('base64');
    await rooms.sendToUsers('r', ['a', 'b'], message, { binary: true });
    expect(emulator.accepted).toEqual([
      expect.objectContaining({ action: 'BatchSendRoomUnicast', to: ['a', 'b'], binary: true }),
    ]);
  });

  it('a refused second chunk is reported; the first and third are sent', async () => {
    const rooms = await roomsWith();
    // Arm the fault once the first batch is in, so it hits the second call.
    emulator.once('accepted', () =>
      emulator.injectFault(
        { type: 'error', code: 'AccessDenied' },
        { action: 'BatchSendRoomUnicast' },
      ),
    );
    const result = await rooms.sendToUsers('match_17', ids(1_201), 'Regroup');

    expect(result.chunks.map((c) => c.status)).toEqual(['sent', 'refused', 'sent']);
    expect(result.chunks[1].error).toBeInstanceOf(RtcUpstreamError);
    expect(result.chunks[1].error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(result).toMatchObject({ sent: 601, refused: 600, unknown: 0 });
    expect(emulator.accepted.map((m) => (m.to as string[]).length)).toEqual([600, 1]);
  });

  it('a chunk that timed out upstream after delivery is unknown, not refused', async () => {
    const rooms = await roomsWith();
    emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout', deliver: true });
    const result = await rooms.sendToUsers('match_17', ids(700), 'Regroup');

    expect(result.chunks.map((c) => c.status)).toEqual(['unknown', 'sent']);
    expect(result.chunks[0].error).toBeInstanceOf(RtcUnknownOutcomeError);
    // It was delivered: resending the chunk would have duplicated it.
    expect(emulator.accepted.map((m) => (m.to as string[]).length)).toEqual([600, 100]);
  });

  it('each chunk spends the shared budget like any call', async () => {
    emulator = await restartedWith({ rateLimitPerSecond: 2 });
    const rooms = await roomsWith({ rateLimit: { perSecond: 2 } });
    const started = Date.now();
    const result = await rooms.sendToUsers('r', ids(1_800), 'gg'); // three calls at 2/s
    expect(result.sent).toBe(1_800);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // The budget, not an upstream 429, spaced the third call a second after the first.
    expect(emulator.acceptedCount).toBe(3);
  });

  async function restartedWith(options: ConstructorParameters<typeof RtcOpenApiEmulator>[0]) {
    await emulator.stop();
    const next = new RtcOpenApiEmulator(options);
    await next.start();
    return next;
  }
});
