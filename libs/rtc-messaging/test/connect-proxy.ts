import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';

/** One CONNECT request as the proxy received it, and the bytes it then carried to the target. */
export interface Tunnel {
  /** `host:port` of the CONNECT line. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** Everything the client sent through the tunnel (TLS records for an https endpoint). */
  readonly sent: Buffer[];
}

/**
 * A tiny HTTP proxy on 127.0.0.1 that only tunnels (`CONNECT host:port`), pipes each tunnel to its
 * target, and records what it saw; a forwarding request (`GET http://...`) is recorded in
 * `forwarded` and refused. With `credentials` (`user:pass`), a CONNECT without that
 * `Proxy-Authorization: Basic` gets 407.
 */
export class ConnectProxy {
  readonly tunnels: Tunnel[] = [];
  readonly forwarded: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly credentials?: string) {
    this.server = createServer((req, res) => {
      this.forwarded.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(405).end();
    });
    this.server.on('connect', (req, client: Socket, head: Buffer) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      const expected = credentials && `Basic ${Buffer.from(credentials).toString('base64')}`;
      if (expected && req.headers['proxy-authorization'] !== expected) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const tunnel: Tunnel = { target: req.url ?? '', headers: req.headers, sent: [head] };
      this.tunnels.push(tunnel);
      const [host, port] = splitHostPort(tunnel.target);
      const upstream = connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        client.on('data', (chunk: Buffer) => tunnel.sent.push(chunk));
        client.pipe(upstream);
        upstream.pipe(client);
      });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', closeBoth);
      client.on('error', closeBoth);
    });
  }

  /** Listens on a free port of 127.0.0.1; resolves `http://127.0.0.1:<port>`. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every byte clients sent through any tunnel, as one Latin-1 string to search. */
  sentThroughTunnels(): string {
    return Buffer.concat(this.tunnels.flatMap((tunnel) => tunnel.sent)).toString('latin1');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function splitHostPort(target: string): [string, number] {
  const colon = target.lastIndexOf(':');
  return [target.slice(0, colon).replace(/^\[|\]$/g, ''), Number(target.slice(colon + 1))];
}
