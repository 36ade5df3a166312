/**
 * Micro-benchmarks of the module's own per-call work, in one process: signing a typical
 * SendUnicast, and validating messages of the largest allowed size. Started by run-bench.ts with
 * its input as JSON in argv[2]; answers with one IPC message (a list of {@link MicroResult}).
 */
import { randomBytes } from 'node:crypto';
import { MESSAGING_API_VERSION } from '../libs/rtc-messaging/src/rtc-openapi.constants';
import { V4Signer } from '../libs/rtc-messaging/src/signing';
import { SendUnicastDto } from '../libs/rtc-messaging/src/unicast/send-unicast.dto';
import { validateInput } from '../libs/rtc-messaging/src/validation';
import { median } from './lib/stats';
import { TO, unicastBody } from './lib/workload';

export interface MicroInput {
  readonly repeats: number;
  /** Multiplies every case's iteration count (1 = the defaults below). */
  readonly scale: number;
}

export interface MicroResult {
  readonly name: string;
  readonly iterations: number;
  /** Median over the repeats of the mean time of one operation. */
  readonly medianUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

const MAX = 65_536;

/** Exactly 65,536 UTF-8 bytes of mixed 1-, 2-, 3- and 4-byte characters (a two-byte JS string). */
function mixedText64k(): string {
  const piece = 'Grüße aus Köln, 你好世界, hello 👋 — ';
  let text = '';
  while (Buffer.byteLength(text + piece, 'utf8') <= MAX) text += piece;
  text += 'x'.repeat(MAX - Buffer.byteLength(text, 'utf8'));
  if (Buffer.byteLength(text, 'utf8') !== MAX) throw new Error('mixed text is not 64 KB');
  return text;
}

let sink = 0;

function measure(name: string, iterations: number, repeats: number, op: () => unknown) {
  // One untimed repeat lets the JIT settle first.
  for (let i = 0; i < iterations; i++) sink ^= op() ? 1 : 0;
  const perOp: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink ^= op() ? 1 : 0;
    perOp.push(Number(process.hrtime.bigint() - started) / 1000 / iterations);
  }
  return {
    name,
    iterations,
    medianUs: median(perOp),
    minUs: Math.min(...perOp),
    maxUs: Math.max(...perOp),
  };
}

function main(): void {
  const input = JSON.parse(process.argv[2] ?? '') as MicroInput;
  const n = (base: number) => Math.max(1, Math.round(base * input.scale));
  const signer = new V4Signer(
    { accessKeyId: 'AKLTbenchKey', secretAccessKey: 'benchSecret' },
    { region: 'cn-north-1', service: 'rtc' },
  );
  const query = { Action: 'SendUnicast', Version: MESSAGING_API_VERSION };
  const headers = { 'Content-Type': 'application/json', Host: 'rtc.volcengineapi.com' };
  const body = Buffer.from(JSON.stringify(unicastBody()), 'utf8');

  const text = mixedText64k();
  const ascii = 'a'.repeat(MAX);
  const binary = randomBytes(MAX).toString('base64');
  const small = unicastBody().Message;

  const expectValid = (input: object) => {
    validateInput(SendUnicastDto, input); // throws if the fixture is wrong
    return input;
  };
  const textInput = expectValid({ to: TO, message: text });
  const asciiInput = expectValid({ to: TO, message: ascii });
  const binaryInput = expectValid({ to: TO, message: binary, binary: true });
  const smallInput = expectValid({ to: TO, message: small });

  const results: MicroResult[] = [
    measure('V4Signer.sign, typical SendUnicast body', n(20_000), input.repeats, () =>
      signer.sign({ method: 'POST', query, headers, body }),
    ),
    measure('validateInput, typical text (~90 B)', n(20_000), input.repeats, () =>
      validateInput(SendUnicastDto, { ...smallInput }),
    ),
    measure('validateInput, 64 KB text (mixed UTF-8)', n(2_000), input.repeats, () =>
      validateInput(SendUnicastDto, { ...textInput }),
    ),
    measure('validateInput, 64 KB text (ASCII)', n(2_000), input.repeats, () =>
      validateInput(SendUnicastDto, { ...asciiInput }),
    ),
    measure('validateInput, 64 KB binary (base64)', n(2_000), input.repeats, () =>
      validateInput(SendUnicastDto, { ...binaryInput }),
    ),
  ];
  if (sink === 42) process.stderr.write(''); // keeps `sink` observable
  process.send!(results, () => process.exit(0));
}

main();
