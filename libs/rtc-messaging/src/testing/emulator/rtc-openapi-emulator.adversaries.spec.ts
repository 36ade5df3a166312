import { once } from 'node:events';
import { request } from 'node:http';
import { V4Signer } from '../../signing';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulatorOptions } from './emulator.options';
import { EventLoopStall } from './event-loop-stalls';
import { RtcOpenApiEmulator } from './rtc-openapi-emulator';

/** One signed SendUnicast, X-Date taken from `at`; resolves the HTTP status. */
function sendUnicast(url: string, at = new Date()): Promise<number> {
  const body = JSON.stringify({
    AppId: 'app',
    From: 'server_bot',
    To: 'user_1',
    Binary: false,
    Message: 'hi',
  });
  const query = { Action: 'SendUnicast', Version: '2023-07-20' };
  const { host, hostname, port } = new URL(url);
  const headers = new V4Signer(EMULATOR_DEMO_CREDENTIALS, {
    region: 'cn-north-1',
    service: 'rtc',
  }).sign(
    { method: 'POST', query, headers: { 'Content-Type': 'application/json', Host: host }, body },
    at,
  );
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, method: 'POST', path: '/?Action=SendUnicast&Version=2023-07-20', headers },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Resolves once `ready()` holds, checking on every turn of the event loop. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setImmediate(resolve));
}

describe('RtcOpenApiEmulator adversaries', () => {
  const emulators: RtcOpenApiEmulator[] = [];
  const start = async (options: RtcOpenApiEmulatorOptions) => {
    const emulator = new RtcOpenApiEmulator(options);
    emulators.push(emulator);
    return { emulator, url: await emulator.start() };
  };
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((e) => e.stop()));
  });

  describe('countAt', () => {
    it("'receipt' (the default) counts a call when it arrives, before its processing cost", async () => {
      const { emulator, url } = await start({ processingUs: 20_000 });
      expect(await sendUnicast(url)).toBe(200);
      const [message] = emulator.accepted;
      expect(Math.trunc(message.countedAt)).toBe(message.receivedAt.getTime());
    });

    it("'answer' counts a call only once its processing cost was spent", async () => {
      const { emulator, url } = await start({ countAt: 'answer', processingUs: 20_000 });
      expect(await sendUnicast(url)).toBe(200);
      const [message] = emulator.accepted;
      // A lower bound, not a speed: 20 ms of busy-waiting lie between receipt and count.
      expect(message.countedAt - message.receivedAt.getTime()).toBeGreaterThanOrEqual(20);
    });

    // The window decides by the counting time: a call held by a latency fault across a clock
    // jump of two seconds is counted after the jump when counted at answer, before it otherwise.
    const base = Math.floor(Date.now() / 1000) * 1000;
    it.each([
      ['receipt', 200, base],
      ['answer', 429, base + 2_000],
    ] as const)(
      "countAt '%s': the next call after a late answer is %i",
      async (countAt, nextStatus, countedAt) => {
        let now = base;
        const { emulator, url } = await start({
          countAt,
          rateLimitPerSecond: 1,
          now: () => now,
        });
        emulator.injectFault({ type: 'latency', ms: 1_000 });
        const late = sendUnicast(url, new Date(now));
        // Counted at receipt, it is recorded as it arrives; counted at answer, nothing is yet.
        await until(() =>
          countAt === 'receipt' ? emulator.accepted.length === 1 : emulator.received === 1,
        );
        now = base + 2_000;
        expect(await late).toBe(200);
        expect(emulator.accepted[0].countedAt).toBe(countedAt);
        expect(emulator.accepted[0].receivedAt.getTime()).toBe(base);
        expect(await sendUnicast(url, new Date(now))).toBe(nextStatus);
      },
    );
  });

  it('stalls block the event loop: nothing is counted while one lasts', async () => {
    const { emulator, url } = await start({ stallEveryMs: 40, stallMs: 25 });
    const stalls: EventLoopStall[] = [];
    emulator.on('stall', (stall) => stalls.push(stall));
    // Bounded: 3 stalls come within about 120 ms of calls; 2,000 calls take far longer.
    for (let i = 0; i < 2_000 && stalls.length < 3; i++) expect(await sendUnicast(url)).toBe(200);
    expect(stalls.length).toBeGreaterThanOrEqual(3);
    for (const { startedAt, endedAt } of stalls) {
      expect(endedAt - startedAt).toBeGreaterThanOrEqual(25);
      const inside = emulator.accepted.filter(
        (m) => m.countedAt > startedAt && m.countedAt < endedAt,
      );
      expect(inside).toEqual([]);
    }
    // Calls kept being counted around them.
    const last = stalls[stalls.length - 1];
    expect(emulator.accepted.some((m) => m.countedAt < stalls[0].startedAt)).toBe(true);
    expect(emulator.accepted.length).toBeGreaterThan(stalls.length);
    expect(last.endedAt).toBeGreaterThan(last.startedAt);
  });

  it('stop() ends the stalls', async () => {
    const { emulator } = await start({ stallEveryMs: 5, stallMs: 1 });
    await once(emulator, 'stall');
    await emulator.stop();
    let after = 0;
    emulator.on('stall', () => after++);
    // Twenty stall periods: a stall timer left running would have fired.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(after).toBe(0);
  });

  it('arrivalJitterMs of 40 delays each request by 0 to 40 ms before it is counted', async () => {
    const { emulator, url } = await start({ arrivalJitterMs: 40 });
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, () => {
        sent.push(performance.timeOrigin + performance.now());
        return sendUnicast(url);
      }),
    );
    const delays = emulator.accepted.map((m) => m.countedAt - Math.min(...sent));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    // Twenty draws from [0, 40]: spread over more than a loopback round trip.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(5);
  });

  it.each<[RtcOpenApiEmulatorOptions, RegExp]>([
    [{ countAt: 'sometimes' as never }, /countAt must be 'receipt' or 'answer'/],
    [{ processingUs: -1 }, /processingUs must be a non-negative integer/],
    [{ processingUs: 1.5 }, /processingUs must be a non-negative integer/],
    [{ stallMs: 40 }, /stallEveryMs and stallMs go together/],
    [{ stallEveryMs: 1_500 }, /stallEveryMs and stallMs go together/],
    [{ stallEveryMs: -1, stallMs: 40 }, /stallEveryMs must be a non-negative integer/],
  ])('refuses %j', (options, message) => {
    expect(() => new RtcOpenApiEmulator(options)).toThrow(message);
  });
});
