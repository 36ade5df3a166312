import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { deleteKeys } from '../bench/lib/redis-keys';
import { createApp } from '../src/bootstrap';
import { API_KEY, demoAppEnv, demoRedis } from '../src/demo/demo.env';
import { LOCAL_REDIS, redisAnswersPing } from '../src/demo/local-redis.probe';
import { TEST_REDIS_URL, testRedisAddress } from '../libs/rtc-messaging/test/test-redis';
import { deadPort } from './support/app-under-test';

/** The Redis of the tests (see the README's Tests' Redis). */
const REDIS_URL = TEST_REDIS_URL;

/** `npm run demo`'s environment and Redis, as src/demo.ts builds them from the shell's. */
describe('npm run demo: the shell and the jobs', () => {
  const queue = `e2e-demo-${process.pid}-${Date.now()}`;
  let emulator: RtcOpenApiEmulator;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    emulator = new RtcOpenApiEmulator();
    await emulator.start();
  });
  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
    await deleteKeys(REDIS_URL, `*${queue}*`);
  });

  it('passes REDIS_URL and the rest of the shell through: POST /v1/fan-outs is a 202, not a 503', async () => {
    const shell = { REDIS_URL, FAN_OUT_JOB_QUEUE: queue, LOG_LEVEL: 'silent' };
    const redis = await demoRedis(shell);
    expect(redis).toEqual({ url: REDIS_URL, note: expect.stringContaining('REDIS_URL') as string });
    // Never the URL itself: it may hold a password.
    expect(redis.note).not.toContain(REDIS_URL);

    app = await createApp({ env: demoAppEnv(shell, { endpoint: emulator.url }, redis) });
    await app.init();
    const created = await request(app.getHttpServer())
      .post('/v1/fan-outs')
      .set('x-api-key', API_KEY)
      .send({ to: ['user_1', 'user_2'], message: 'Hi all, as a job' })
      .expect(202);
    expect(created.body).toMatchObject({ total: 2 });
  });

  it('keeps the demo credentials, endpoint and keys whatever the shell says', () => {
    const env = demoAppEnv(
      {
        VOLC_ACCESSKEY: 'AKLTshell',
        VOLC_SECRETKEY: 'shell-secret',
        VOLC_SESSION_TOKEN: 'shell-token',
        RTC_ENDPOINT: 'https://rtc.volcengineapi.com',
        RTC_REGION: 'ap-singapore-1',
        API_KEYS: 'shell-key',
        FAN_OUT_MAX_RECIPIENTS: '50',
      },
      { endpoint: emulator.url },
      { note: '' },
    );
    expect(env).toMatchObject({
      RTC_ENDPOINT: emulator.url,
      API_KEYS: API_KEY,
      FAN_OUT_MAX_RECIPIENTS: '50',
      LOG_FORMAT: 'pretty',
      PORT: '3000',
    });
    expect(env.VOLC_ACCESSKEY).not.toBe('AKLTshell');
    expect(env.VOLC_SESSION_TOKEN).toBeUndefined();
    expect(env.RTC_REGION).toBeUndefined();
  });

  it('uses the local Redis when REDIS_URL is unset and it answers', async () => {
    const asked: string[] = [];
    const answers = async (host: string, port: number) => {
      asked.push(`${host}:${port}`);
      return true;
    };
    expect(await demoRedis({}, answers)).toMatchObject({
      url: `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`,
    });
    expect(asked).toEqual([`${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`]);
  });

  it('runs without jobs when no Redis answers, and says how to turn them on', async () => {
    const redis = await demoRedis({}, async () => false);
    expect(redis.url).toBeUndefined();
    expect(redis.note).toMatch(/fan-out jobs are off.*REDIS_URL=redis:\/\//);
  });
});

describe('redisAnswersPing', () => {
  let silent: Server | undefined;
  afterAll(() => silent?.close());

  it('is true for a Redis', async () => {
    const { host, port } = testRedisAddress();
    expect(await redisAnswersPing(host, port)).toBe(true);
  });

  it('is false where nothing listens', async () => {
    expect(await redisAnswersPing('127.0.0.1', await deadPort())).toBe(false);
  });

  it('is false, once its time is up, for a server that accepts and never answers', async () => {
    const sockets: import('node:net').Socket[] = [];
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    expect(await redisAnswersPing('127.0.0.1', port, 50)).toBe(false);
    for (const socket of sockets) socket.destroy();
  });
});
