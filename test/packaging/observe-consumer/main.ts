/**
 * A consumer made the way `nest new` makes one today: an ES module app (`"type": "module"`,
 * `nodenext`) whose main.ts passes `instrument: ObserveInstrument` of @nestjs/observe, so every
 * provider is proxied. `scripts/packaging-test.mjs` compiles and runs it in a scratch app against
 * Nest 12 and @nestjs/observe from the registry. It makes and verifies a token, sends a message to
 * the emulator, reads /health and runs a fan-out job on Redis, all over HTTP (where observe traces
 * each provider call). Any failed check exits non-zero.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { types } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { RtcTokenService, UnicastService } from 'nestjs-volcengine-rtc';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';

const APP_ID = '661e000000000000000543cf';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS_NAME = `rtc-packaging-observe-${randomUUID().slice(0, 8)}`;

function pass(check: string): void {
  console.log(`  ok  ${check}`);
}

/** Stands in for observe's collector, on loopback: accepts whatever the agent sends. */
const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const emulator = new RtcOpenApiEmulator({ appIds: [APP_ID] });
Object.assign(process.env, {
  OBSERVE_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
  VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
  VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
  RTC_APP_ID: APP_ID,
  RTC_APP_KEY: 'observe-consumer-app-key',
  RTC_ENDPOINT: await emulator.start(),
  REDIS_URL,
  JOBS_NAME,
});
// After the environment is set: the module reads its options when it is loaded.
const { AppModule, ObserveInstrument } = await import('./app.module.js');

const app = await NestFactory.create(AppModule, {
  instrument: ObserveInstrument,
  logger: ['error'],
});
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let failed = false;
try {
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  };

  // Else the checks below would pass without observe's proxies.
  assert.ok(types.isProxy(app.get(RtcTokenService)), 'RtcTokenService is proxied by observe');
  assert.ok(types.isProxy(app.get(UnicastService)), 'UnicastService is proxied by observe');
  pass('NestFactory.create with instrument: ObserveInstrument proxies the providers');

  const token = await call('GET', '/tokens/user_42');
  assert.equal(token.status, 200, token.text);
  assert.equal(token.body.valid, true, token.text);
  assert.match(String(token.body.token), /^001661e000000000000000543cf/);
  pass('RtcTokenService makes and verifies a token');

  const sent = await call('POST', '/messages', { to: 'user_42', message: 'hello' });
  assert.equal(sent.status, 201, sent.text);
  assert.equal(sent.body.message, 'Success', sent.text);
  assert.deepEqual(
    emulator.accepted.map((m) => [m.to, m.message]),
    [['user_42', 'hello']],
  );
  pass('UnicastService sends a message the emulator accepts');

  const health = await call('GET', '/health');
  assert.equal(health.status, 200, health.text);
  assert.equal((health.body.info as { rtc?: { status?: string } }).rtc?.status, 'up');
  pass('GET /health: RtcMessagingHealthIndicator reports up');

  const created = await call('POST', '/fan-outs', {
    to: ['user_1', 'user_2', 'user_3'],
    message: 'a fan-out job',
  });
  assert.equal(created.status, 201, created.text);
  let job: Record<string, unknown> = {};
  for (let polls = 0; polls < 100 && job.state !== 'completed'; polls++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = (await call('GET', `/fan-outs/${String(created.body.id)}`)).body;
  }
  assert.equal(job.state, 'completed', JSON.stringify(job));
  assert.equal(job.sent, 3, JSON.stringify(job));
  pass('FanOutJobs runs a fan-out job on Redis to completion');
} catch (error) {
  failed = true;
  console.error('consumer: FAILED');
  console.error(error);
} finally {
  await app.close();
  await emulator.stop();
  collector.close();
  for (const pattern of [`bull:${JOBS_NAME}:*`, `${JOBS_NAME}:*`]) {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
}
if (!failed) console.log('consumer: all checks passed');
// observe's agent may keep a worker alive: the verdict is in, so end here.
process.exit(failed ? 1 : 0);
