// First: OpenTelemetry must be registered before Nest, Express and http load (/metrics; traces
// only when the shell sets OTEL_EXPORTER_OTLP_ENDPOINT).
import './telemetry/instrumentation';
import { join, relative } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { describeAcceptedMessage, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { demoUpstreamModel } from './demo/demo-upstream';
import { startApp } from './bootstrap';
import { API_KEY, APP_ID, APP_KEY, demoAppEnv, demoRedis, FROM } from './demo/demo.env';
import { OneLineLogger } from './logging/one-line.logger';

/**
 * `npm run demo`: the app as it runs in production, wired to a local RTC OpenAPI emulator with
 * demo credentials, so it works on a fresh clone with no account and sends nothing anywhere.
 */

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

// A demo callback secret (the console's "回调密钥"): what the emulator CLI signs events with.
const CALLBACK_SECRET = 'demo-callback-secret';

/**
 * The emulator's command line, as built next to this file (`nest build` compiles the library's
 * emulator entry into dist/libs), relative to where the demo was started.
 */
const EMULATOR_CLI = relative(
  process.cwd(),
  join(__dirname, '../libs/rtc-messaging/src/testing/emulator/emulator.main.js'),
);

/**
 * What RTC would send the demo, from another terminal: a signed event callback, and a client
 * message signed with a login token (whose echo the emulator then prints).
 */
function printInboundCommands(url: string): void {
  print('Play RTC: deliver a signed event callback, then send a message as client user_42 would:');
  print();
  print(
    [
      `  RTC_CALLBACK_SECRET=${CALLBACK_SECRET} node ${EMULATOR_CLI} deliver-event \\`,
      `    --url ${url}/v1/rtc/events --app-id ${APP_ID} --type UserJoinRoom \\`,
      `    --data '{"RoomId":"lobby","UserId":"user_42"}'`,
    ].join('\n'),
  );
  print();
  print(
    [
      `  RTC_APP_KEY=${APP_KEY} node ${EMULATOR_CLI} send-client-message \\`,
      `    --url ${url}/v1/rtc/client-messages --app-id ${APP_ID} --user user_42 \\`,
      `    --message 'Hello from a client'`,
    ].join('\n'),
  );
  print();
  print(
    `The demo echoes the message back to user_42 (the emulator prints it below); the event shows in: curl -H 'x-api-key: ${API_KEY}' ${url}/v1/rtc/events/recent`,
  );
  print();
}

/** A `curl` that POSTs `body` to `path` with the demo's API key, split over lines. */
function curlCommand(url: string, path: string, body: object): string {
  return [
    `curl -i -X POST ${url}${path} \\`,
    `    -H 'x-api-key: ${API_KEY}' -H 'content-type: application/json' \\`,
    `    -d '${JSON.stringify(body)}'`,
  ].join('\n');
}

async function main(): Promise<void> {
  const redis = await demoRedis(process.env);
  const upstream = demoUpstreamModel(process.env);
  const emulator = new RtcOpenApiEmulator(upstream.options);
  const endpoint = await emulator.start();
  emulator.on('accepted', (message) => print(describeAcceptedMessage(message)));

  let app: INestApplication;
  let url: string;
  try {
    ({ app, url } = await startApp({
      // The shell's variables pass through (REDIS_URL, PORT, FAN_OUT_*…), but for those the
      // emulator and the instructions below depend on.
      env: {
        ...demoAppEnv(process.env, { endpoint }, redis),
        // The secret the printed deliver-event command signs with (printInboundCommands).
        RTC_CALLBACK_SECRET: CALLBACK_SECRET,
      },
      shutdownHooks: false,
      // Warnings and errors only: Nest's start-up lines would bury the instructions below.
      logger: new OneLineLogger({ logLevels: ['error', 'warn'] }),
    }));
  } catch (error) {
    await emulator.stop();
    throw error;
  }

  print(`RTC OpenAPI emulator: ${endpoint} (demo credentials; nothing leaves this machine)`);
  if (upstream.note !== undefined) print(upstream.note);
  print(`Demo app:             ${url}  (API key: ${API_KEY}, AppId: ${APP_ID}, from: ${FROM})`);
  print();
  print('Send a message from another terminal:');
  print();
  print(
    `  ${curlCommand(url, '/v1/messages/unicast', { to: 'user_42', message: 'Hello from the demo' })}`,
  );
  print();
  print('Get the token a client passes to login (or /v1/tokens/room for joinRoom):');
  print();
  print(`  ${curlCommand(url, '/v1/tokens/login', { userId: 'user_42' })}`);
  print();
  print('Broadcast to a room, or fan a message out to several users:');
  print();
  print(`  ${curlCommand(url, '/v1/rooms/lobby/messages', { message: 'Hello, room' })}`);
  print();
  print(
    `  ${curlCommand(url, '/v1/messages/fan-out', { to: ['user_1', 'user_2', 'not valid!'], message: 'Hi all' })}`,
  );
  print();
  print(redis.note);
  if (redis.url !== undefined) {
    print();
    print('Or as a durable fan-out job (202 at once; follow it at the Location it answers):');
    print();
    print(
      `  ${curlCommand(url, '/v1/fan-outs', { to: ['user_1', 'user_2', 'user_3'], message: 'Hi all, as a job' })}`,
    );
    print(`  curl -s ${url}/v1/fan-outs/<id> -H 'x-api-key: ${API_KEY}'`);
  }
  print();
  printInboundCommands(url);
  print(
    `API docs: ${url}/docs (every endpoint, its body and its errors). Also: ${url}/health/ready, ${url}/metrics`,
  );
  print(
    'Each message the emulator accepts is printed below. Ctrl-C stops the app and the emulator.',
  );
  print();

  const stop = (signal: NodeJS.Signals): void => {
    print(`\n${signal}: stopping the app, then the emulator…`);
    // A second Ctrl-C finds no listener left and ends the process at once.
    process.off('SIGINT', stop).off('SIGTERM', stop);
    void app
      .close()
      .then(() => emulator.stop())
      .then(() => {
        print(`Stopped. The emulator accepted ${emulator.acceptedCount} message(s).`);
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(
          `Stopping failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  const hint = /EADDRINUSE/.test(reason) ? ' (another port: PORT=3001 npm run demo)' : '';
  process.stderr.write(`The demo could not start: ${reason}${hint}\n`);
  process.exit(1);
});
