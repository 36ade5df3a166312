import { RtcTokenFormatError } from '../../tokens';
import {
  buildRtcCallbackEvent,
  deliverRtcCallbackEvent,
  RtcClientMessageInput,
  sendRtcClientMessage,
} from '../inbound';

/**
 * The emulator's command-line subcommands that play RTC towards an app server (the kit of
 * `testing/inbound`, from a shell):
 *
 *     emulator.main.js deliver-event --url http://127.0.0.1:3000/v1/rtc/events \
 *       --secret S --app-id A --type UserJoinRoom --data '{"RoomId":"r1","UserId":"u1"}'
 *     emulator.main.js send-client-message --url http://127.0.0.1:3000/v1/rtc/client-messages \
 *       --app-id A --app-key K --user u1 --message hello
 *
 * Each prints one JSON line per delivery and a last line with the outcome, and exits 0 when the
 * app answered as RTC counts success (200 for an event, any 2xx for a client message), 1 when it
 * did not, 2 on bad usage. Secrets (`--secret`, `--app-key`, `--token`) can come from the
 * environment instead (`RTC_CALLBACK_SECRET`, `RTC_APP_KEY`, `RTC_CLIENT_TOKEN`), so they stay
 * out of the shell's history; nothing printed ever contains them.
 */

/** Where a command writes; the process's stdout by default. */
export interface CommandOutput {
  write(line: string): void;
}

interface FlagSpec {
  /** The environment variable read when the flag is not given. */
  readonly env?: string;
}

type Flags<K extends string> = Partial<Record<K, string>>;

/** A usage error: exit code 2. Its message names flags, never their values. */
export class CommandUsageError extends Error {
  override readonly name = 'CommandUsageError';
}

function readFlags<K extends string>(
  command: string,
  argv: readonly string[],
  spec: Readonly<Record<K, FlagSpec>>,
  env: Readonly<Record<string, string | undefined>>,
): Flags<K> {
  const out: Flags<K> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // Not quoted: a misplaced value could be a secret.
    if (!arg.startsWith('--')) throw new CommandUsageError(`${command}: unexpected argument`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!(name in spec)) {
      throw new CommandUsageError(
        `${command}: unknown flag --${name}; known: ${Object.keys(spec)
          .map((flag) => `--${flag}`)
          .join(', ')}`,
      );
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new CommandUsageError(`${command}: --${name} needs a value`);
    out[name as K] = value;
  }
  for (const [name, { env: variable }] of Object.entries<FlagSpec>(spec)) {
    const fromEnv = variable === undefined ? undefined : env[variable];
    if (out[name as K] === undefined && fromEnv !== undefined && fromEnv !== '') {
      out[name as K] = fromEnv;
    }
  }
  return out;
}

function required<K extends string>(command: string, flags: Flags<K>, name: K): string {
  const value = flags[name];
  if (value === undefined || value === '') {
    throw new CommandUsageError(`${command}: --${name} is required`);
  }
  return value;
}

function optionalInteger<K extends string>(
  command: string,
  flags: Flags<K>,
  name: K,
): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new CommandUsageError(`${command}: --${name} must be a non-negative integer`);
  }
  return Number(value);
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

const DELIVER_EVENT_FLAGS = {
  url: {},
  secret: { env: 'RTC_CALLBACK_SECRET' },
  'app-id': {},
  type: {},
  data: {},
  'event-id': {},
  'event-time': {},
  version: {},
  nonce: {},
  copies: {},
  'max-deliveries': {},
  'timeout-ms': {},
  'retry-delay-ms': {},
  sequential: {},
} as const satisfies Record<string, FlagSpec>;

/** `deliver-event`: one signed event, delivered as RTC does (retries, time limit, copies). */
async function deliverEvent(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: CommandOutput,
): Promise<number> {
  const command = 'deliver-event';
  const flags = readFlags(command, argv, DELIVER_EVENT_FLAGS, env);
  const url = required(command, flags, 'url');
  const secret = required(command, flags, 'secret');
  if (flags.sequential !== undefined && !['true', 'false'].includes(flags.sequential)) {
    throw new CommandUsageError(`${command}: --sequential must be true or false`);
  }
  const event = buildRtcCallbackEvent(
    {
      type: required(command, flags, 'type'),
      appId: required(command, flags, 'app-id'),
      // As given: the command can send data that is not JSON, to see the app's answer to it.
      data: flags.data ?? '{}',
      eventId: flags['event-id'],
      eventTime: flags['event-time'],
      version: flags.version,
      nonce: flags.nonce,
    },
    secret,
  );
  let report;
  try {
    report = await deliverRtcCallbackEvent(url, event, {
      copies: optionalInteger(command, flags, 'copies'),
      maxDeliveries: optionalInteger(command, flags, 'max-deliveries'),
      timeoutMs: optionalInteger(command, flags, 'timeout-ms'),
      retryDelayMs: optionalInteger(command, flags, 'retry-delay-ms'),
      concurrent: flags.sequential !== 'true',
    });
  } catch (error) {
    // The kit throws only for options it cannot honour (a RangeError naming the option).
    if (error instanceof RangeError) throw new CommandUsageError(`${command}: ${error.message}`);
    throw error;
  }
  for (const attempt of report.attempts) {
    out.write(
      JSON.stringify({
        copy: attempt.copy,
        delivery: attempt.delivery,
        status: attempt.status ?? null,
        ...(attempt.failure && { failure: attempt.failure }),
        ...(attempt.error && { error: attempt.error }),
        ms: round(attempt.durationMs),
        body: attempt.body,
      }),
    );
  }
  out.write(
    JSON.stringify({
      eventId: report.eventId,
      eventType: event.EventType,
      delivered: report.delivered,
      deliveries: report.attempts.length,
    }),
  );
  return report.delivered ? 0 : 1;
}

const SEND_CLIENT_MESSAGE_FLAGS = {
  url: {},
  message: {},
  'message-base64': {},
  token: { env: 'RTC_CLIENT_TOKEN' },
  'app-id': {},
  'app-key': { env: 'RTC_APP_KEY' },
  user: {},
  room: {},
  'expires-in': {},
  'timeout-ms': {},
} as const satisfies Record<string, FlagSpec>;

/** `send-client-message`: one message as RTC forwards a client's `sendServerMessage`. */
async function sendClientMessage(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  out: CommandOutput,
): Promise<number> {
  const command = 'send-client-message';
  const flags = readFlags(command, argv, SEND_CLIENT_MESSAGE_FLAGS, env);
  const url = required(command, flags, 'url');
  if ((flags.message === undefined) === (flags['message-base64'] === undefined)) {
    throw new CommandUsageError(`${command}: give one of --message or --message-base64`);
  }
  const message =
    flags['message-base64'] === undefined
      ? (flags.message as string)
      : new Uint8Array(Buffer.from(flags['message-base64'], 'base64'));
  let signature: RtcClientMessageInput['signature'];
  // A given token wins; otherwise one is made for the user with the AppKey.
  if (flags.token !== undefined) {
    signature = flags.token;
  } else {
    if (flags['app-key'] === undefined) {
      throw new CommandUsageError(
        `${command}: give --token, or --app-key with --app-id and --user`,
      );
    }
    signature = {
      appId: required(command, flags, 'app-id'),
      appKey: flags['app-key'],
      userId: required(command, flags, 'user'),
      roomId: flags.room,
      expiresInSeconds: optionalInteger(command, flags, 'expires-in'),
    };
  }
  let report;
  try {
    report = await sendRtcClientMessage(
      url,
      { message, signature },
      { timeoutMs: optionalInteger(command, flags, 'timeout-ms') },
    );
  } catch (error) {
    // A token that cannot be made (say, an AppId that is not 24 characters); never quotes the key.
    if (error instanceof RtcTokenFormatError) {
      throw new CommandUsageError(`${command}: ${error.message}`);
    }
    throw error;
  }
  out.write(
    JSON.stringify({
      status: report.status ?? null,
      ...(report.failure && { failure: report.failure }),
      ...(report.error && { error: report.error }),
      ms: round(report.durationMs),
      body: report.text,
    }),
  );
  return report.status !== undefined && report.status >= 200 && report.status < 300 ? 0 : 1;
}

const COMMANDS: Readonly<
  Record<
    string,
    (
      argv: readonly string[],
      env: Readonly<Record<string, string | undefined>>,
      out: CommandOutput,
    ) => Promise<number>
  >
> = {
  'deliver-event': deliverEvent,
  'send-client-message': sendClientMessage,
};

/** Whether `name` is one of the subcommands above. */
export function isInboundCommand(name: string | undefined): boolean {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

/**
 * Runs the subcommand `argv[0]` with the rest as its flags; resolves the exit code (0 success, 1
 * the app did not answer as RTC counts success, 2 bad usage, with one line on `errors`).
 */
export async function runInboundCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  out: CommandOutput = { write: (line) => process.stdout.write(`${line}\n`) },
  errors: CommandOutput = { write: (line) => process.stderr.write(`${line}\n`) },
): Promise<number> {
  const [name, ...flags] = argv;
  const command = COMMANDS[name];
  if (command === undefined) {
    errors.write(`unknown command ${name}`);
    return 2;
  }
  try {
    return await command(flags, env, out);
  } catch (error) {
    if (!(error instanceof CommandUsageError)) throw error;
    errors.write(error.message);
    return 2;
  }
}
