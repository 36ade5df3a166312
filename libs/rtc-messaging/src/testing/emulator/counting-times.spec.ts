import { request } from 'node:http';
import { V4Signer } from '../../signing';
import { CountingTimes } from './counting-times';
import { EMULATOR_DEMO_CREDENTIALS } from './emulator.options';
import { RtcOpenApiEmulator } from './rtc-openapi-emulator';

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
