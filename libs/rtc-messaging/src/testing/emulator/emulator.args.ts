import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulatorOptions } from './emulator.options';

/*
 * The emulator's command line: its flags (each with its environment variable), the switches, the
 * parser and `--help`. Apart from `emulator.main.ts`, which starts a server when it is run, so
 * that the demo app (and anything else) can read the same variables without starting a process.
 */

/** Each flag that takes a value, and the environment variable that sets it (a flag wins). */
const FLAGS = {
  port: 'RTC_EMULATOR_PORT',
  host: 'RTC_EMULATOR_HOST',
  'rate-limit': 'RTC_EMULATOR_RATE_LIMIT',
  'rate-limit-key': 'RTC_EMULATOR_RATE_LIMIT_KEY',
  region: 'RTC_EMULATOR_REGION',
  'app-id': 'RTC_EMULATOR_APP_IDS',
  'access-key-id': 'RTC_EMULATOR_ACCESS_KEY_ID',
  'secret-access-key': 'RTC_EMULATOR_SECRET_ACCESS_KEY',
  'record-limit': 'RTC_EMULATOR_RECORD_LIMIT',
  'jitter-ms': 'RTC_EMULATOR_JITTER_MS',
  'count-at': 'RTC_EMULATOR_COUNT_AT',
  'processing-us': 'RTC_EMULATOR_PROCESSING_US',
  'stall-every-ms': 'RTC_EMULATOR_STALL_EVERY_MS',
  'stall-ms': 'RTC_EMULATOR_STALL_MS',
  'record-times': 'RTC_EMULATOR_RECORD_TIMES',
} as const satisfies Record<string, string>;

/**
 * What `--help` says of each flag: its value's placeholder and a sentence. Typed by `FLAGS`, so a
 * flag added there without its help here does not compile, and `--help` lists every flag.
 */
const FLAG_HELP: Readonly<Record<keyof typeof FLAGS, readonly [value: string, text: string]>> = {
  port: ['N', 'port to listen on; default 0 (a free port)'],
  host: ['H', 'address to listen on; default 127.0.0.1'],
  'rate-limit': ['N', 'calls per second it accepts, 0 for no limit; default 500'],
  'rate-limit-key': ['appId|accessKey', 'what the rate limit counts per; default appId'],
  region: ['R', 'the region calls must be signed for; default cn-north-1'],
  'app-id': ['A[,B…]', 'the AppIds it knows (repeatable); default any AppId'],
  'access-key-id': ['K', 'with --secret-access-key, the only credentials it accepts'],
  'secret-access-key': ['S', 'see --access-key-id; default the demo credentials'],
  'record-limit': [
    'N',
    'accepted messages it keeps; default 0 (nothing can read the records of a separate process)',
  ],
  'jitter-ms': [
    'N',
    'one-way jitter: each request waits a random 0 to N ms before the emulator sees it; default 0',
  ],
  'count-at': ['receipt|answer', 'where the rate window counts a call; default receipt'],
  'processing-us': ['N', 'CPU burnt per call before its answer, in µs; default 0'],
  'stall-every-ms': ['N', "with --stall-ms, the emulator's event loop blocks every N ms"],
  'stall-ms': ['M', 'how long each stall blocks the event loop, in ms'],
  'record-times': [
    'true|false',
    'on SIGTERM, before the stats, print {"times":{"accepted":[…],"throttled":[…]}} (epoch ms)',
  ],
};

/** Flags that take no value. */
const SWITCHES = {
  help: 'print this help and exit',
  log: 'print a line for each message it accepts (after the {"url"} line)',
} as const;

/** Whether `argv` holds the switch `--name` (`-h` for help too). */
export function hasSwitch(argv: readonly string[], name: keyof typeof SWITCHES): boolean {
  return argv.includes(`--${name}`) || (name === 'help' && argv.includes('-h'));
}

/** `--help`'s text, made from the flag tables: every flag the parser takes, and nothing else. */
export function emulatorHelp(): string {
  const rows: [string, string][] = [
    ...Object.entries(FLAG_HELP).map(([flag, [value, text]]): [string, string] => [
      `--${flag} ${value}`,
      `${text} [${FLAGS[flag as keyof typeof FLAGS]}]`,
    ]),
    ...Object.entries(SWITCHES).map(([flag, text]): [string, string] => [`--${flag}`, text]),
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    'Usage: node emulator.main.js [--flag value | --flag=value]…',
    '',
    'A local Volcengine RTC OpenAPI emulator (SendUnicast, SendRoomUnicast, SendBroadcast,',
    'BatchSendRoomUnicast). It prints {"url":"http://127.0.0.1:PORT"} once it listens; SIGTERM or',
    'SIGINT stop it, print {"stats":{…}} and exit 0.',
    '',
    `Without --access-key-id it accepts the demo credentials: access key id ${EMULATOR_DEMO_CREDENTIALS.accessKeyId},`,
    `secret access key ${EMULATOR_DEMO_CREDENTIALS.secretAccessKey} (EMULATOR_DEMO_CREDENTIALS).`,
    '',
    'Flags (environment variable in brackets; a flag wins):',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    'Or, instead of an emulator, play RTC towards an app server (one JSON line per delivery):',
    '  deliver-event --url U --secret S --app-id A --type T [--data JSON] [--copies N] …',
    '  send-client-message --url U (--message M | --message-base64 B)',
    '    (--token T | --app-id A --app-key K --user U) [--timeout-ms N]',
    '',
  ].join('\n');
}

/** What the flags configure: the emulator, and what the process prints on SIGTERM. */
export interface EmulatorProcessOptions extends RtcOpenApiEmulatorOptions {
  /** Print the counting times (see `--record-times`). */
  readonly recordTimes?: boolean;
}

function integer(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) {
    throw new TypeError(`--${flag} must be an integer, got "${value}"`);
  }
  return n;
}

/**
 * Emulator options from command-line flags (`--flag value` or `--flag=value`) and the
 * environment; throws a `TypeError` naming the bad flag.
 */
export function parseEmulatorArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): EmulatorProcessOptions {
  const values = new Map<string, string[]>();
  for (const [flag, name] of Object.entries(FLAGS)) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') values.set(flag, [fromEnv]);
  }
  const fromArgs = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // Switches are read by `hasSwitch`; they set no emulator option.
    if (arg === '-h' || (arg.startsWith('--') && Object.hasOwn(SWITCHES, arg.slice(2)))) continue;
    if (!arg.startsWith('--')) throw new TypeError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!Object.hasOwn(FLAGS, flag)) throw new TypeError(`unknown flag --${flag}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new TypeError(`--${flag} needs a value`);
    fromArgs.set(flag, [...(fromArgs.get(flag) ?? []), value]);
  }
  for (const [flag, list] of fromArgs) values.set(flag, list);

  const last = (flag: string): string | undefined => values.get(flag)?.at(-1);
  const options: {
    -readonly [K in keyof EmulatorProcessOptions]: EmulatorProcessOptions[K];
  } = { recordLimit: 0 };
  const port = last('port');
  if (port !== undefined) options.port = integer('port', port);
  const host = last('host');
  if (host !== undefined) options.host = host;
  const rate = last('rate-limit');
  if (rate !== undefined) options.rateLimitPerSecond = integer('rate-limit', rate);
  const rateKey = last('rate-limit-key');
  if (rateKey !== undefined) {
    if (rateKey !== 'appId' && rateKey !== 'accessKey') {
      throw new TypeError(`--rate-limit-key must be appId or accessKey, got "${rateKey}"`);
    }
    options.rateLimitKey = rateKey;
  }
  const jitter = last('jitter-ms');
  if (jitter !== undefined) options.arrivalJitterMs = integer('jitter-ms', jitter);
  const countAt = last('count-at');
  if (countAt !== undefined) {
    if (countAt !== 'receipt' && countAt !== 'answer') {
      throw new TypeError(`--count-at must be receipt or answer, got "${countAt}"`);
    }
    options.countAt = countAt;
  }
  for (const [flag, field] of [
    ['processing-us', 'processingUs'],
    ['stall-every-ms', 'stallEveryMs'],
    ['stall-ms', 'stallMs'],
  ] as const) {
    const value = last(flag);
    if (value !== undefined) options[field] = integer(flag, value);
  }
  const recordTimes = last('record-times');
  if (recordTimes !== undefined) {
    if (recordTimes !== 'true' && recordTimes !== 'false') {
      throw new TypeError(`--record-times must be true or false, got "${recordTimes}"`);
    }
    options.recordTimes = recordTimes === 'true';
  }
  const region = last('region');
  if (region !== undefined) options.region = region;
  const appIds = values.get('app-id');
  if (appIds !== undefined) {
    options.appIds = appIds
      .flatMap((list) => list.split(','))
      .map((id) => id.trim())
      .filter(Boolean);
  }
  const accessKeyId = last('access-key-id');
  const secretAccessKey = last('secret-access-key');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new TypeError('--access-key-id and --secret-access-key go together');
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    options.credentials = [{ accessKeyId, secretAccessKey }];
  }
  const recordLimit = last('record-limit');
  if (recordLimit !== undefined) options.recordLimit = integer('record-limit', recordLimit);
  return options;
}
