import { connect, Socket } from 'node:net';

/**
 * A lean HTTP/1.1 client for load generation: one keep-alive connection, one request at a time,
 * prebuilt request bytes, and an answer parsed only for its status and `Content-Length`. Node's
 * `http.request` costs the load generator more CPU per request than a bare `node:http` server
 * spends answering it, so on a 2-CPU machine it, not the server, set the pace. Answers must carry
 * `Content-Length` (no chunked encoding), as both targets of bench:inbound send them.
 */
export class RawHttpLane {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting?: {
    readonly resolve: (status: number) => void;
    readonly reject: (error: Error) => void;
    readonly timer: NodeJS.Timeout;
  };

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects to 127.0.0.1:`port`, within `timeoutMs`. */
  static open(port: number, timeoutMs = 5_000): Promise<RawHttpLane> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawHttpLane(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** The bytes of `POST path` with a JSON `body`, built once and sent as they are. */
  static post(path: string, body: Buffer): Buffer {
    const head =
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  /** Sends `request` and resolves the answer's status; rejects after `timeoutMs` without one. */
  send(request: Buffer, timeoutMs = 5_000): Promise<number> {
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting = { resolve, reject, timer };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd === -1) return;
    const head = this.buffered.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const total = headEnd + 4 + (length ? Number(length[1]) : 0);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve(status);
    }
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.socket.destroy();
  }
}
