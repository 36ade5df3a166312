/**
 * A consumer of the packed `nestjs-volcengine-rtc`, compiled and run by `scripts/packaging-test.mjs` in a
 * scratch app outside the workspace, against Nest 11 and Nest 12 installed from the registry.
 * It boots an app with `forRootAsync` fed by `ConfigService`, sends a message to the emulator from
 * `nestjs-volcengine-rtc/testing`, reads `/health` (`nestjs-volcengine-rtc/health`), and unit-tests
 * a service with `RtcMessagingTestingModule`, and checks that the app runs one copy of axios. Any
 * failed check exits non-zero.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  RTC_HTTP_SERVICE,
  RtcError,
  RtcMessagingModule,
  RtcUpstreamError,
  RtcValidationError,
  UnicastService,
} from 'nestjs-volcengine-rtc';
import type { RtcSendResult } from 'nestjs-volcengine-rtc';
import { RtcMessagingHealthIndicator } from 'nestjs-volcengine-rtc/health';
import {
  EMULATOR_DEMO_CREDENTIALS,
  RtcMessagingRecorder,
  RtcMessagingTestingModule,
  RtcOpenApiEmulator,
} from 'nestjs-volcengine-rtc/testing';

const APP_ID = 'consumer-app';

@Injectable()
class ShippingNotifier {
  constructor(private readonly unicast: UnicastService) {}

  shipped(userId: string, orderId: string): Promise<RtcSendResult> {
    return this.unicast.sendText(userId, `Order ${orderId} has shipped`);
  }
}

@Module({ providers: [ShippingNotifier], exports: [ShippingNotifier] })
class ShippingModule {}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly rtc: RtcMessagingHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.rtc.isHealthy('rtc', { timeoutMs: 2_000 })]);
  }
}

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    RtcMessagingModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        accessKeyId: config.getOrThrow<string>('VOLC_ACCESSKEY'),
        secretAccessKey: config.getOrThrow<string>('VOLC_SECRETKEY'),
        appId: config.getOrThrow<string>('RTC_APP_ID'),
        from: config.getOrThrow<string>('RTC_FROM'),
        endpoint: config.getOrThrow<string>('RTC_ENDPOINT'),
      }),
    }),
    TerminusModule,
    ShippingModule,
  ],
  controllers: [HealthController],
  providers: [RtcMessagingHealthIndicator],
})
class AppModule {}

function pass(check: string): void {
  console.log(`  ok  ${check}`);
}

async function againstTheEmulator(): Promise<void> {
  const emulator = new RtcOpenApiEmulator({ appIds: [APP_ID] });
  const endpoint = await emulator.start();
  Object.assign(process.env, {
    VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
    VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
    RTC_APP_ID: APP_ID,
    RTC_FROM: 'shipping_bot',
    RTC_ENDPOINT: endpoint,
  });
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  try {
    await app.listen(0, '127.0.0.1');
    pass('the app boots with RtcMessagingModule.forRootAsync fed by ConfigService');

    const sentHeaders: unknown[] = [];
    app.get<HttpService>(RTC_HTTP_SERVICE).axiosRef.interceptors.request.use((config) => {
      sentHeaders.push(config.headers);
      return config;
    });
    const result = await app.get(ShippingNotifier).shipped('user_42', 'A-1');
    assert.equal(result.message, 'Success');
    assert.equal(emulator.accepted.length, 1);
    const [accepted] = emulator.accepted;
    assert.deepEqual(
      {
        action: accepted.action,
        appId: accepted.appId,
        from: accepted.from,
        to: accepted.to,
        message: accepted.message,
        requestId: accepted.requestId,
      },
      {
        action: 'SendUnicast',
        appId: APP_ID,
        from: 'shipping_bot',
        to: 'user_42',
        message: 'Order A-1 has shipped',
        requestId: result.requestId,
      },
    );
    pass('a message sent through UnicastService arrived at the emulator, signed');

    await oneAxiosCopy(sentHeaders);

    const tooLong = await app
      .get(UnicastService)
      .sendText('user_42', 'x'.repeat(70_000))
      .catch((e: unknown) => e);
    assert.ok(tooLong instanceof RtcValidationError, 'a 70 KB message is an RtcValidationError');
    assert.ok(tooLong instanceof RtcError);
    emulator.injectFault({ type: 'error', code: 'SignatureDoesNotMatch' });
    const refused = await app
      .get(ShippingNotifier)
      .shipped('user_42', 'A-2')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof RtcUpstreamError, 'an upstream refusal is an RtcUpstreamError');
    assert.equal(refused.code, 'SignatureDoesNotMatch');
    assert.equal(refused.outcome, 'not_delivered');
    pass('errors are instances of the classes the package exports');

    const response = await fetch(`${await app.getUrl()}/health`);
    const health = (await response.json()) as { info?: { rtc?: { status?: string } } };
    assert.equal(response.status, 200, JSON.stringify(health));
    assert.equal(health.info?.rtc?.status, 'up');
    assert.ok(!JSON.stringify(health).includes(EMULATOR_DEMO_CREDENTIALS.secretAccessKey));
    pass('GET /health: RtcMessagingHealthIndicator reports up, without secrets');
  } finally {
    await app.close();
    await emulator.stop();
  }
}

/**
 * The app runs one axios: the one `import('axios')` gives it (ESM on Nest 12, whose @nestjs/axios is
 * ESM; CommonJS on Nest 11). `@nestjs/axios` holds that one; the module's calls (seen by an
 * interceptor on RTC_HTTP_SERVICE, `headersOfACall`) were made by it, their headers being its
 * `AxiosHeaders`; and no other copy sits in the CommonJS cache (this consumer is CommonJS, so a
 * `require('axios')` anywhere would have put axios's CommonJS build there).
 */
async function oneAxiosCopy(headersOfACall: unknown[]): Promise<void> {
  const appAxios = await import('axios');
  assert.equal(new HttpService().axiosRef, appAxios.default, "@nestjs/axios holds the app's axios");
  assert.equal(headersOfACall.length, 1, 'the interceptor on RTC_HTTP_SERVICE ran once');
  assert.ok(
    headersOfACall[0] instanceof appAxios.AxiosHeaders,
    "the module's calls are made by the app's axios",
  );
  const otherCopies = Object.entries(require.cache)
    // The package's own files, not those of packages installed inside it.
    .filter(([file]) => /[\\/]node_modules[\\/]axios[\\/](?!node_modules[\\/])/.test(file))
    .filter(([, cached]) => cached?.exports !== appAxios.default)
    .map(([file]) => file);
  assert.deepEqual(otherCopies, [], 'no second axios is loaded');
  const system = require.cache[require.resolve('axios')] ? 'CommonJS' : 'ESM';
  pass(`one axios copy at run time (${system})`);
}

async function withTheTestingModule(): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [RtcMessagingTestingModule.forRoot(), ShippingModule],
  }).compile();
  try {
    const recorder = moduleRef.get(RtcMessagingRecorder);
    const { requestId } = await moduleRef.get(ShippingNotifier).shipped('user_7', 'B-1');
    assert.equal(recorder.sentTo('user_7').length, 1);
    assert.equal(recorder.last()?.requestId, requestId);
    assert.equal(recorder.last()?.body.Message, 'Order B-1 has shipped');

    const tooLong = await moduleRef
      .get(UnicastService)
      .sendText('user_7', 'x'.repeat(70_000))
      .catch((e: unknown) => e);
    assert.ok(tooLong instanceof RtcValidationError);
    recorder.failNext('InvalidParameter.IllegalTo');
    const refused = await moduleRef
      .get(ShippingNotifier)
      .shipped('user_7', 'B-2')
      .catch((e: unknown) => e);
    assert.ok(refused instanceof RtcUpstreamError);
    assert.equal(recorder.sent.length, 1);
    pass('RtcMessagingTestingModule: recorded, validated, failNext');
  } finally {
    await moduleRef.close();
  }
}

async function main(): Promise<void> {
  await againstTheEmulator();
  await withTheTestingModule();
  console.log('consumer: all checks passed');
}

main().catch((error: unknown) => {
  console.error('consumer: FAILED');
  console.error(error);
  process.exit(1);
});
