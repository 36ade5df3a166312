import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ServiceUnavailableException } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Test, TestingModule } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { RtcMessagingModule } from '../rtc-messaging.module';
import type { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcBudgetUnavailableError } from '../errors';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast';
import { RtcMessagingHealthIndicator } from './rtc-messaging.health-indicator';
import { TEST_REDIS_URL } from '../../test/test-redis';

const SESSION_TOKEN = 'session-token-never-shown';

const REDIS_URL = TEST_REDIS_URL;
const REDIS_PASSWORD = 'redis-password-never-shown';

async function indicatorFor(
  endpoint: string,
  rateLimit?: RtcMessagingModuleOptions['rateLimit'],
  withSessionToken = true,
): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [
      RtcMessagingModule.forRoot({
        ...EMULATOR_DEMO_CREDENTIALS,
        sessionToken: withSessionToken ? SESSION_TOKEN : undefined,
        appId: 'app',
        from: 'bot',
        endpoint,
        rateLimit,
      }),
      // The failed checks below are expected; terminus would log each one.
      TerminusModule.forRoot({ logger: false }),
    ],
    providers: [RtcMessagingHealthIndicator],
  }).compile();
}

/** A port on which nothing listens: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Shows no secret of the module's options, whatever it says. */
function expectNoSecret(result: unknown): void {
  const text = JSON.stringify(result);
  expect(text).not.toContain(EMULATOR_DEMO_CREDENTIALS.secretAccessKey);
  expect(text).not.toContain(SESSION_TOKEN);
  expect(text).not.toContain(REDIS_PASSWORD);
}

describe('RtcMessagingHealthIndicator', () => {
  describe('when the endpoint answers', () => {
    const emulator = new RtcOpenApiEmulator();
    let moduleRef: TestingModule;
    let endpoint: string;

    beforeAll(async () => {
      endpoint = await emulator.start();
      moduleRef = await indicatorFor(endpoint);
    });
    afterAll(async () => {
      await moduleRef.close();
      await emulator.stop();
    });

    it('is up, with the endpoint, region and latency, and sends no message', async () => {
      const result = await moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');

      expect(result).toEqual({
        rtc: {
          status: 'up',
          endpoint,
          region: 'cn-north-1',
          latencyMs: expect.any(Number),
          budgetStore: 'shared',
        },
      });
      expect(emulator.acceptedCount).toBe(0);
      expectNoSecret(result);
    });

    it('shares one probe between concurrent checks and reuses it for cacheMs', async () => {
      const fresh = await indicatorFor(endpoint);
      const indicator = fresh.get(RtcMessagingHealthIndicator);
      // The probe is a GET of / naming no action: the emulator counts it apart from calls.
      const before = emulator.probes;

      const results = await Promise.all([
        indicator.isHealthy('rtc', { cacheMs: 100 }),
        indicator.isHealthy('rtc', { cacheMs: 100 }),
        indicator.isHealthy('rtc', { cacheMs: 100 }),
      ]);
      await indicator.isHealthy('rtc', { cacheMs: 100 });
      expect(emulator.probes - before).toBe(1);
      expect(new Set(results).size).toBe(1);

      await new Promise((resolve) => setTimeout(resolve, 150));
      await indicator.isHealthy('rtc', { cacheMs: 100 });
      expect(emulator.probes - before).toBe(2);
      await fresh.close();
    });

    it('probes again for another key', async () => {
      const fresh = await indicatorFor(endpoint);
      const indicator = fresh.get(RtcMessagingHealthIndicator);
      // The probe is a GET of / naming no action: the emulator counts it apart from calls.
      const before = emulator.probes;

      await expect(indicator.isHealthy('rtc')).resolves.toHaveProperty('rtc.status', 'up');
      await expect(indicator.isHealthy('rtc-openapi')).resolves.toHaveProperty(
        'rtc-openapi.status',
        'up',
      );
      expect(emulator.probes - before).toBe(2);
      await fresh.close();
    });

    it('makes a terminus health check pass', async () => {
      const health = moduleRef.get(HealthCheckService);
      const indicator = moduleRef.get(RtcMessagingHealthIndicator);

      await expect(health.check([() => indicator.isHealthy('rtc')])).resolves.toMatchObject({
        status: 'ok',
        info: { rtc: { status: 'up' } },
      });
    });
  });

  describe('when the endpoint is unreachable', () => {
    it('is down with the reason, and does not throw', async () => {
      const endpoint = `http://127.0.0.1:${await closedPort()}`;
      const moduleRef = await indicatorFor(endpoint);

      const result = await moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');

      expect(result).toEqual({
        rtc: {
          status: 'down',
          endpoint,
          reason: expect.stringMatching(/^RTC OpenAPI unreachable \(connect\): ECONNREFUSED/),
          // The default budget, in memory: nothing to probe.
          budgetStore: 'shared',
        },
      });
      expectNoSecret(result);
      await moduleRef.close();
    });

    it('is down within timeoutMs when the endpoint accepts but never answers', async () => {
      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const moduleRef = await indicatorFor(endpoint);

      const started = performance.now();
      const result = await moduleRef
        .get(RtcMessagingHealthIndicator)
        .isHealthy('rtc', { timeoutMs: 200 });

      expect(performance.now() - started).toBeLessThan(2_000);
      expect(result).toEqual({
        rtc: {
          status: 'down',
          endpoint,
          reason: expect.stringContaining('timeout'),
          budgetStore: 'shared',
        },
      });
      await moduleRef.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('makes a terminus health check answer 503 with the reason', async () => {
      const moduleRef = await indicatorFor(`http://127.0.0.1:${await closedPort()}`);
      const health = moduleRef.get(HealthCheckService);
      const indicator = moduleRef.get(RtcMessagingHealthIndicator);

      const error: unknown = await health.check([() => indicator.isHealthy('rtc')]).catch((e) => e);

      expect(error).toBeInstanceOf(ServiceUnavailableException);
      const body = (error as ServiceUnavailableException).getResponse();
      expect(body).toMatchObject({ status: 'error', error: { rtc: { status: 'down' } } });
      expectNoSecret(body);
      await moduleRef.close();
    });
  });

  it('never shows credentials put in the endpoint URL', async () => {
    const emulator = new RtcOpenApiEmulator();
    const url = new URL(await emulator.start());
    url.username = 'proxyuser';
    url.password = 'proxy-password';
    const moduleRef = await indicatorFor(url.href);

    const result = await moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');

    expect(JSON.stringify(result)).not.toMatch(/proxyuser|proxy-password/);
    await moduleRef.close();
    await emulator.stop();
  });

  describe('the call budget', () => {
    const emulator = new RtcOpenApiEmulator();
    let endpoint: string;
    let deadRedis: string;
    const opened: TestingModule[] = [];
    const clients: Redis[] = [];

    /** The indicator's result with the module's budget set to `rateLimit`. */
    async function resultWith(rateLimit: RtcMessagingModuleOptions['rateLimit']) {
      const moduleRef = await indicatorFor(endpoint, rateLimit);
      opened.push(moduleRef);
      return moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');
    }

    beforeAll(async () => {
      endpoint = await emulator.start();
      deadRedis = `redis://default:${REDIS_PASSWORD}@127.0.0.1:${await closedPort()}`;
    });
    afterAll(async () => {
      await Promise.all(opened.map((moduleRef) => moduleRef.close()));
      await Promise.all(clients.map((client) => client.quit()));
      await emulator.stop();
    });

    it('is down, naming Redis, when Redis does not answer and the budget fails closed', async () => {
      const result = await resultWith({ redis: deadRedis });

      expect(result).toEqual({
        rtc: {
          status: 'down',
          endpoint,
          reason: expect.stringMatching(/^call budget unavailable, Redis does not answer/),
          budgetStore: 'shared',
          redis: 'down',
        },
      });
      expectNoSecret(result);
      expect(JSON.stringify(result)).not.toContain(deadRedis);
      // Readiness asks the store; it sends nothing upstream.
      expect(emulator.accepted).toHaveLength(0);
    });

    it('is down when the budget already found the store unavailable', async () => {
      const moduleRef = await indicatorFor(endpoint, { redis: deadRedis, maxWaitMs: 0 });
      opened.push(moduleRef);
      const unicast = moduleRef.get(UnicastService);
      await expect(unicast.send({ to: 'user', message: 'hi' })).rejects.toBeInstanceOf(
        RtcBudgetUnavailableError,
      );

      const result = await moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');

      expect(result).toMatchObject({
        rtc: { status: 'down', budgetStore: 'unavailable', redis: 'down' },
      });
    });

    it("is up when Redis does not answer but the budget paces locally ('local')", async () => {
      const result = await resultWith({ redis: deadRedis, onRedisError: 'local', instances: 2 });

      expect(result).toMatchObject({ rtc: { status: 'up', redis: 'down' } });
      expectNoSecret(result);
    });

    it('is up when Redis answers, and the probe takes no call budget', async () => {
      // One call a second, and a prefix of its own: a probe that took the app's unit would leave
      // none for the call below.
      // A client of the test's, connected before the probe: a store's first command waits for the
      // connection, which on a loaded machine can outlast the store's 250 ms timeout.
      const redis = new Redis(REDIS_URL);
      clients.push(redis);
      await once(redis, 'ready');
      // No session token: the emulator's demo key is a long-term one, and the call below is sent.
      const moduleRef = await indicatorFor(
        endpoint,
        {
          redis,
          redisKeyPrefix: `health-spec-${randomUUID()}:`,
          perSecond: 1,
          maxWaitMs: 0,
        },
        false,
      );
      opened.push(moduleRef);

      const result = await moduleRef.get(RtcMessagingHealthIndicator).isHealthy('rtc');

      expect(result).toEqual({
        rtc: {
          status: 'up',
          endpoint,
          region: 'cn-north-1',
          latencyMs: expect.any(Number),
          budgetStore: 'shared',
          redis: 'up',
        },
      });
      await expect(
        moduleRef.get(UnicastService).send({ to: 'user', message: 'hi' }),
      ).resolves.toMatchObject({ requestId: expect.any(String) });
    });

    it('shows no budget when the module runs without one', async () => {
      const result = await resultWith(false);

      expect(result).toEqual({
        rtc: { status: 'up', endpoint, region: 'cn-north-1', latencyMs: expect.any(Number) },
      });
    });
  });
});
