import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { createApp } from '../src/bootstrap';
import { ENV_VARIABLES, EnvValidationError } from '../src/config';
import { RecordingLogger } from './support/app-under-test';

describe('configuration from the environment', () => {
  let emulator: RtcOpenApiEmulator;
  let directory: string;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    emulator = new RtcOpenApiEmulator();
    await emulator.start();
    directory = mkdtempSync(join(tmpdir(), 'rtc-demo-env-'));
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    emulator.reset();
    // Jest gives each test file its own copy of process.env: this touches no other file.
    for (const name of ENV_VARIABLES) delete process.env[name];
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  function writeEnvFile(lines: Record<string, string>): string {
    const path = join(directory, `${expect.getState().currentTestName?.length ?? 0}.env`);
    writeFileSync(
      path,
      Object.entries(lines)
        .map(([name, value]) => `${name}=${value}\n`)
        .join(''),
    );
    return path;
  }

  const dotenv = () => ({
    VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
    VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
    RTC_APP_ID: 'dotenv-app',
    RTC_FROM: 'dotenv_bot',
    RTC_ENDPOINT: emulator.url,
    API_KEYS: 'dotenv-key-1, dotenv-key-2',
    RTC_TIMEOUT_MS: '5000',
  });

  it('reads a .env file: credentials, defaults and API keys', async () => {
    app = await createApp({ envFile: writeEnvFile(dotenv()), logger: new RecordingLogger() });
    await app.init();

    await request(app.getHttpServer())
      .post('/v1/messages/unicast')
      .set('x-api-key', 'dotenv-key-2')
      .send({ to: 'user_1', message: 'from .env' })
      .expect(200);

    expect(emulator.accepted).toMatchObject([
      { appId: 'dotenv-app', from: 'dotenv_bot', to: 'user_1', message: 'from .env' },
    ]);
  });

  it('lets variables already in the environment win over the .env file', async () => {
    process.env.RTC_FROM = 'shell_bot';
    app = await createApp({ envFile: writeEnvFile(dotenv()), logger: new RecordingLogger() });
    await app.init();

    await request(app.getHttpServer())
      .post('/v1/messages/unicast')
      .set('x-api-key', 'dotenv-key-1')
      .send({ to: 'user_1', message: 'hi' })
      .expect(200);

    expect(emulator.accepted[0].from).toBe('shell_bot');
  });

  it('refuses to boot on a bad environment, naming each variable and no value', async () => {
    const secret = 'a-secret-that-must-not-be-echoed';
    const boot = createApp({
      env: { VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: secret, RTC_FROM: 'x', PORT: secret },
      logger: new RecordingLogger(),
    });

    await expect(boot).rejects.toThrow(EnvValidationError);
    const message = await boot.catch((error: Error) => error.message);
    expect(message).toContain('RTC_APP_ID is required');
    expect(message).toContain('API_KEYS is required');
    expect(message).toMatch(/PORT must be an integer/);
    expect(message).not.toContain(secret);
    expect(emulator.received).toBe(0);
  });
});
