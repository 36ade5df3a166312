/**
 * `npm run bench:profile`: runs one client process (the module by default) under
 * `node --cpu-prof` against the emulator, then sums the samples taken during the measured calls
 * (warm-up and boot left out): self time per function, and time per package / library file.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_DEMO_CREDENTIALS } from '../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { installCleanup, runWorker } from './lib/child-processes';
import { CpuProfile, summarizeProfile } from './lib/cpuprofile';
import { EmulatorProcess } from './lib/emulator-process';
import { describeMachine } from './lib/machine';
import { fixed, formatTable, positiveInt, readFlags } from './lib/stats';
import { CLIENT_KINDS, ClientInput, ClientKind } from './lib/workload';
import type { ClientRunResult } from './unicast-client.worker';

const ROOT = join(__dirname, '../..');
const PROFILE_DIR = join(__dirname, 'profiles');

const flags = readFlags(process.argv.slice(2), {
  client: { env: 'BENCH_PROFILE_CLIENT', default: 'module' },
  calls: { env: 'BENCH_CALLS', default: '20000' },
  warmup: { env: 'BENCH_WARMUP', default: '1000' },
  concurrency: { env: 'BENCH_CONCURRENCY', default: '64' },
  'interval-us': { env: 'BENCH_PROFILE_INTERVAL_US', default: '250' },
  top: { env: 'BENCH_PROFILE_TOP', default: '25' },
});
const client = flags.client as ClientKind;
if (!CLIENT_KINDS.includes(client)) throw new TypeError(`--client: unknown client "${client}"`);
const top = positiveInt('top', flags.top);

async function main(): Promise<void> {
  installCleanup();
  console.log(describeMachine());
  rmSync(PROFILE_DIR, { recursive: true, force: true });
  mkdirSync(PROFILE_DIR, { recursive: true });

  const emulator = await EmulatorProcess.start(0);
  let result: ClientRunResult;
  try {
    const input: ClientInput = {
      client,
      url: emulator.url,
      credentials: { ...EMULATOR_DEMO_CREDENTIALS },
      calls: positiveInt('calls', flags.calls),
      warmup: positiveInt('warmup', flags.warmup, 0),
      concurrency: positiveInt('concurrency', flags.concurrency),
      deadlineMs: 290_000,
    };
    ({ result } = await runWorker<ClientRunResult>(
      join(__dirname, 'unicast-client.worker.js'),
      input,
      {
        timeoutMs: 300_000,
        label: `${client} (profiled)`,
        execArgv: [
          '--cpu-prof',
          '--cpu-prof-dir',
          PROFILE_DIR,
          '--cpu-prof-interval',
          String(positiveInt('interval-us', flags['interval-us'])),
        ],
      },
    ));
  } finally {
    await emulator.stop();
  }
  if (result.errors > 0) throw new Error(`${result.errors} errors: ${result.firstError}`);

  const file = readdirSync(PROFILE_DIR).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${PROFILE_DIR}`);
  const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8')) as CpuProfile;
  if (result.windowUs[0] < profile.startTime || result.windowUs[1] > profile.endTime) {
    throw new Error('the measured window is not inside the profile: clocks disagree');
  }
  const s = summarizeProfile(profile, result.windowUs, ROOT);
  const busy = s.totalUs - s.idleUs;
  const perCall = (us: number) => us / result.calls;
  const pct = (us: number) => `${fixed((100 * us) / busy, 1)}%`;
  const rows = (list: readonly [string, number][], n: number) =>
    list
      .filter(([k]) => k !== '(idle)')
      .slice(0, n)
      .map(([k, us]) => [k, fixed(us / 1000, 1), pct(us), fixed(perCall(us), 1)]);

  console.log(
    `\n${client}: ${result.calls.toLocaleString('en-US')} calls, ${fixed(result.callsPerSecond)} calls/s, ` +
      `${fixed(result.cpuUsPerCall)} µs CPU/call (profiler on: slower than unprofiled)`,
  );
  console.log(`Profile: ${join(PROFILE_DIR, file)}`);
  console.log(
    `Measured window: ${fixed(s.totalUs / 1000)} ms sampled, ${fixed(busy / 1000)} ms busy on the main thread ` +
      `(${fixed(perCall(busy), 1)} µs/call); percentages are of busy time.\n`,
  );
  const header = ['', 'ms', '% busy', 'µs/call'];
  console.log(`Self time by function (top ${top}):\n`);
  console.log(formatTable(['function', ...header.slice(1)], rows(s.selfByFunction, top)));
  console.log('\nSelf time by area:\n');
  console.log(formatTable(['area', ...header.slice(1)], rows(s.selfByArea, 20)));
  console.log('\nInclusive time by area (area anywhere on the stack):\n');
  console.log(formatTable(['area', ...header.slice(1)], rows(s.inclusiveByArea, 20)));
  console.log(`\nInclusive time of library functions (top ${top}):\n`);
  console.log(
    formatTable(['function', ...header.slice(1)], rows(s.inclusiveByLibraryFunction, top)),
  );
}

main().catch((error: unknown) => {
  console.error(`\nbench:profile failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
