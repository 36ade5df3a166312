import { Agent as HttpAgent, createServer, Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AddressInfo } from 'node:net';
import axios, { AxiosInstance } from 'axios';
import { createNodeHttpAdapter } from './node-http.adapter';

/** A server that answers every request with its own name and the path it was sent to. */
async function namedServer(name: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('createNodeHttpAdapter', () => {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent() };
  let servers: { server: Server; origin: string }[];
  let client: AxiosInstance;

  beforeAll(async () => {
    servers = await Promise.all([namedServer('a'), namedServer('b')]);
    client = axios.create({
      adapter: createNodeHttpAdapter(agents),
      transformResponse: [(data: unknown) => data],
    });
  });

  afterAll(async () => {
    agents.http.destroy();
    for (const { server } of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends the same URL under two base URLs to two servers', async () => {
    const [a, b] = servers;
    for (const round of [1, 2]) {
      const answers = await Promise.all(
        [a, b].map(({ origin }) => client.get<string>('/?Action=SendUnicast', { baseURL: origin })),
      );
      expect({ round, answers: answers.map((r) => r.data) }).toEqual({
        round,
        answers: ['a /?Action=SendUnicast', 'b /?Action=SendUnicast'],
      });
    }
  });

  it('still routes every request right once more URLs were used than it keeps parsed', async () => {
    const [a, b] = servers;
    const paths = Array.from({ length: 150 }, (_, i) => `/p${i}?n=${i}`);
    for (const path of [...paths, ...paths.slice(0, 10)]) {
      const { origin } = path.length % 2 ? a : b;
      const { data } = await client.get<string>(path, { baseURL: origin });
      expect(data).toBe(`${origin === a.origin ? 'a' : 'b'} ${path}`);
    }
  });
});
