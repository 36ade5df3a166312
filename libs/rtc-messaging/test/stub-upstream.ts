import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** How the stub answers one request, given its body. */
export type StubHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

/**
 * A real `node:http` server on an ephemeral port whose answer each test sets: for the library's
 * specs of answers the emulator never gives (a proxy's HTML page, a malformed envelope).
 */
export class StubUpstream {
  handler: StubHandler = (_req, _body, res) => res.end();
  readonly requests: { req: IncomingMessage; body: Buffer }[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.requests.push({ req, body });
      this.handler(req, body, res);
    });
  });

  /** Listens on a free port of 127.0.0.1; resolves with the endpoint URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A handler that answers `status` with `body` as given (a string) or as JSON (anything else). */
export const answerWith =
  (status: number, body: unknown, headers: Record<string, string> = {}): StubHandler =>
  (_req, _body, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
