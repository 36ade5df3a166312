import { request } from 'node:http';
import { V4Signer } from '../../signing';
import { CountingTimes, windowRate } from './counting-times';
import { EMULATOR_DEMO_CREDENTIALS } from './emulator.options';
import { RtcOpenApiEmulator } from './rtc-openapi-emulator';
import { SlidingWindowCounter } from './sliding-window-counter';

function sendUnicast(url: string, at: Date): Promise<number> {
  const body = JSON.stringify({ AppId: 'app', From: 'bot', To: 'u', Binary: false, Message: 'hi' });
  const { host, hostname, port } = new URL(url);
  const headers = new V4Signer(EMULATOR_DEMO_CREDENTIALS, {
    region: 'cn-north-1',
    service: 'rtc',
  }).sign(
    {
      method: 'POST',
      query: { Action: 'SendUnicast', Version: '2023-07-20' },
      headers: { 'Content-Type': 'application/json', Host: host },
      body,
    },
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

describe('CountingTimes', () => {
  it("records each accepted call's counting time and each throttle's, sorted", async () => {
    const base = Math.floor(Date.now() / 1000) * 1000;
    let now = base;
    const emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: 2, now: () => now });
    const times = new CountingTimes(emulator);
    const url = await emulator.start();
    try {
      const statuses: number[] = [];
      for (const step of [0, 10.25, 20, 1_000.5]) {
        now = base + step;
        statuses.push(await sendUnicast(url, new Date(now)));
      }
      expect(statuses).toEqual([200, 200, 429, 200]);
      // A rejection other than a throttle (none here) would not be recorded.
      expect(times.report()).toEqual({
        accepted: [base, base + 10.25, base + 1_000.5],
        throttled: [base + 20],
      });
    } finally {
      await emulator.stop();
    }
  });
});

describe('windowRate', () => {
  it('is the limit for calls spaced exactly 1 s / limit apart', () => {
    const times = Array.from({ length: 2_500 }, (_, i) => 1_000_000 + i * 2);
    expect(windowRate(times, 500)).toBeCloseTo(500, 9);
  });

  it('is the limit, not 125%, for a pacer that sends whole windows at once', () => {
    // 500 at t = 0, 1,000, 2,000, 3,000 and 4,000: first to last would say 2,499 / 4 s = 625/s.
    const times = Array.from({ length: 2_500 }, (_, i) => Math.floor(i / 500) * 1_000);
    expect(windowRate(times, 500)).toBe(500);
  });

  it('never exceeds the limit for what a sliding window admitted, whatever the arrivals', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 20; run++) {
      const window = new SlidingWindowCounter(50, 1_000);
      const admitted: number[] = [];
      for (let t = 0; admitted.length < 400; t += random() * random() * 30) {
        if (window.tryAcquire('app', t)) admitted.push(t);
      }
      expect(windowRate(admitted, 50)).toBeLessThanOrEqual(50);
    }
  });

  it('is NaN without a call that has a limit-th successor', () => {
    expect(windowRate([1, 2, 3], 3)).toBeNaN();
  });
});
