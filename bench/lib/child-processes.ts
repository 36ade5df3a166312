import { ChildProcess, fork, ForkOptions } from 'node:child_process';

/**
 * Every child this process started, so that each one is killed when the benchmark ends, whether
 * it ends well, throws, or is interrupted.
 */
const children = new Set<ChildProcess>();

function killAll(signal: NodeJS.Signals): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

let installed = false;

/** Kills every tracked child on exit, on Ctrl-C / SIGTERM, and on an uncaught error. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every child process\n`);
      killAll('SIGKILL');
      process.exit(130);
    });
  }
}

/**
 * The environment of every child, without proxy settings: axios (inside the SDK) honours
 * `HTTP_PROXY` and the SDK its own `VOLC_PROXY_*`, and every call must stay on 127.0.0.1.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(https?_proxy|all_proxy|volc_proxy_.*)$/i.test(name)) delete env[name];
  }
  return env;
}

/** Starts `node <script>` with an IPC channel, tracked for cleanup. */
export function forkTracked(script: string, args: string[], options: ForkOptions): ChildProcess {
  const child = fork(script, args, { env: childEnv(), ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Sends `signal`, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** The last lines a child wrote, to show when it fails; bounded so a chatty child cannot grow it. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';
  total = 0;

  constructor(private readonly keep = 20) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.total++;
      this.lines.push(line);
      if (this.lines.length > this.keep) this.lines.shift();
    }
  }

  /** The kept lines, last (unterminated) one included. */
  get text(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}

/**
 * Runs a worker script that answers with exactly one IPC message and exits; rejects when it exits
 * without one, or when it is still running after `timeoutMs` (then it is killed).
 */
export function runWorker<TResult>(
  script: string,
  input: unknown,
  { timeoutMs, execArgv = [], label }: { timeoutMs: number; execArgv?: string[]; label: string },
): Promise<{ result: TResult; output: OutputTail }> {
  const output = new OutputTail();
  const child = forkTracked(script, [JSON.stringify(input)], {
    execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  return new Promise((resolve, reject) => {
    let result: { value: TResult } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: still running after ${timeoutMs} ms, killed\n${output.text}`));
    }, timeoutMs);
    child.on('message', (message) => {
      result = { value: message as TResult };
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result && code === 0) resolve({ result: result.value, output });
      else
        reject(
          new Error(
            `${label}: exited with ${signal ?? `code ${code}`}${result ? '' : ' without a result'}\n${output.text}`,
          ),
        );
    });
  });
}
