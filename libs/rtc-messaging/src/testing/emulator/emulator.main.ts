import { describeAcceptedMessage } from './accepted-message.format';
import { CountingTimes } from './counting-times';
import { hasSwitch, emulatorHelp, parseEmulatorArgs } from './emulator.args';
import { isInboundCommand, runInboundCommand } from './inbound-commands';
import { RtcOpenApiEmulator } from './rtc-openapi-emulator';

/**
 * Runs an emulator in its own process, so a benchmark does not share a CPU with it:
 *
 *     node dist/…/testing/emulator/emulator.main.js --port 0 --rate-limit 500
 *
 * On start it prints one JSON line, `{"url":"http://127.0.0.1:PORT"}`; on SIGTERM or SIGINT it
 * stops, prints `{"stats":{"received":N,"accepted":M,"throttled":T,"probes":P}}` and exits 0
 * (`probes`: `GET /` requests, such as a client's connection warm-ups).
 *
 * The flags are in `emulator.args.ts` (each with its environment variable); `--help` prints
 * them, `--log` prints a line for each accepted message.
 *
 * Subcommands that play RTC towards an app server instead (see `inbound-commands.ts`):
 * `deliver-event` (a signed event callback) and `send-client-message` (a client's message).
 */

/** Starts the emulator for this process and wires the signals; resolves once it listens. */
export async function runEmulatorProcess(
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RtcOpenApiEmulator> {
  const { recordTimes, ...options } = parseEmulatorArgs(argv, env);
  const emulator = new RtcOpenApiEmulator(options);
  const times = recordTimes ? new CountingTimes(emulator) : undefined;
  const url = await emulator.start();
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  if (hasSwitch(argv, 'log')) {
    emulator.on('accepted', (message) => {
      process.stdout.write(`${describeAcceptedMessage(message)}\n`);
    });
  }

  let stopping = false;
  const shutdown = (): void => {
    // A second signal means "now": do not wait for the graceful path.
    if (stopping) process.exit(1);
    stopping = true;
    void emulator.stop().then(() => {
      if (times) process.stdout.write(`${JSON.stringify({ times: times.report() })}\n`);
      const stats = {
        received: emulator.received,
        accepted: emulator.acceptedCount,
        throttled: emulator.throttled,
        probes: emulator.probes,
      };
      process.stdout.write(`${JSON.stringify({ stats })}\n`, () => process.exit(0));
    });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return emulator;
}

if (require.main === module && isInboundCommand(process.argv[2])) {
  // exitCode, not exit(): the process ends once its output is flushed and its sockets closed.
  runInboundCommand(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(
        `rtc emulator: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 2;
    },
  );
} else if (require.main === module && hasSwitch(process.argv.slice(2), 'help')) {
  process.stdout.write(emulatorHelp(), () => process.exit(0));
} else if (require.main === module) {
  runEmulatorProcess().catch((error: unknown) => {
    process.stderr.write(
      `rtc emulator: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  });
}
