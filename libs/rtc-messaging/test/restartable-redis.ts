import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deadPort } from './dead-port';

/** How long a started `redis-server` may take to answer. */
const START_TIMEOUT_MS = 5_000;

/**
 * A `redis-server` of a spec's own, on a free loopback port, that the spec may stop and start
 * again as a restart would: its data lives in an append-only file (fsync on every write) in a
 * directory of its own, so what was written before the stop is there after the start. Never the
 * shared Redis, which nobody restarts.
 */
export class RestartableRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts one on a free port. */
  static async start(): Promise<RestartableRedis> {
    const server = new RestartableRedis(
      await deadPort(),
      mkdtempSync(join(tmpdir(), 'rtc-restartable-redis-')),
    );
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again); resolves once it answers PING. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''],
        ...['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const started = Date.now();
    while (Date.now() - started < START_TIMEOUT_MS) {
      if (child.exitCode !== null) break;
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      const answered = await probe
        .connect()
        .then(() => probe.ping())
        .then(
          () => true,
          () => false,
        );
      probe.disconnect();
      if (answered) return;
      await sleep(50);
    }
    await this.stop();
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Stops the server (SIGTERM: it closes every connection) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }

  /** Stops it for good and removes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
