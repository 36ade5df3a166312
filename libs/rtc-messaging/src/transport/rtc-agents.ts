import { Agent as HttpAgent, ClientRequest } from 'node:http';
import { Agent as HttpsAgent, AgentOptions } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { ResolvedHttpOptions } from './http.options';

/**
 * Idle keep-alive sockets are closed by us before the server would close them: Node servers drop
 * idle connections after 5 s, many gateways after 60 s. A request written to a socket the server is
 * closing fails after it was sent, which would turn into an "unknown outcome" for no reason.
 * (Node also shortens this further when the server announces `Keep-Alive: timeout=N`.)
 */
export const IDLE_SOCKET_TTL_MS = 4_000;

/** The agents the module's calls use, by the endpoint's scheme. */
export interface RtcAgents {
  readonly http: HttpAgent;
  readonly https: HttpAgent;
  /** The agents the module made, and so destroys on shutdown (not yours). */
  readonly owned: readonly HttpAgent[];
}

/**
 * The module's keep-alive agents, with the `http` options applied: your own agents as given, else
 * agents over `agentOptions` and `ca`, tunnelling through the proxy when there is one.
 */
export function createRtcAgents(http: ResolvedHttpOptions): RtcAgents {
  const options: AgentOptions = {
    keepAlive: true,
    timeout: IDLE_SOCKET_TTL_MS,
    ...http.agentOptions,
  };
  const { proxy } = http;
  const owned: HttpAgent[] = [];
  const make = (scheme: 'http:' | 'https:'): HttpAgent => {
    const agent = proxy
      ? proxyAgent(proxy, scheme, options)
      : scheme === 'https:'
        ? new HttpsAgent(options)
        : new HttpAgent(options);
    owned.push(agent);
    return agent;
  };
  return {
    http: http.ownAgent('http:') ?? make('http:'),
    https: http.ownAgent('https:') ?? make('https:'),
    owned,
  };
}

/**
 * `HttpsProxyAgent`, with the agent options (`ca`, client certificates, `rejectUnauthorized`, ...)
 * applied to the TLS connection to the endpoint inside the tunnel too: `HttpsProxyAgent` applies
 * its options to the connection to the proxy only, and TLS to the endpoint gets the request's.
 */
class TunnellingAgent extends HttpsProxyAgent<string> {
  readonly #endpointOptions: AgentOptions;

  constructor(proxy: URL, options: AgentOptions, headers: () => Record<string, string>) {
    super(proxy, { ...options, headers });
    this.#endpointOptions = options;
  }

  override connect(
    req: ClientRequest,
    options: Parameters<HttpsProxyAgent<string>['connect']>[1],
  ): ReturnType<HttpsProxyAgent<string>['connect']> {
    return super.connect(req, { ...this.#endpointOptions, ...options });
  }
}

/**
 * A keep-alive agent that opens each socket as a CONNECT tunnel through `proxy`, then TLS to the
 * endpoint inside it for `https:`. The proxy's credentials go in a `Proxy-Authorization` header
 * made by a closure: `HttpsProxyAgent` keeps the proxy URL it is given as a property (and logs it
 * under `DEBUG=https-proxy-agent`), so it gets the URL without them.
 */
function proxyAgent(proxy: URL, scheme: 'http:' | 'https:', options: AgentOptions): HttpAgent {
  const withoutCredentials = new URL(proxy.href);
  withoutCredentials.username = '';
  withoutCredentials.password = '';
  const authorization =
    proxy.username || proxy.password
      ? `Basic ${Buffer.from(
          `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
        ).toString('base64')}`
      : undefined;
  const headers = (): Record<string, string> =>
    authorization ? { 'Proxy-Authorization': authorization } : {};
  const agent = new TunnellingAgent(withoutCredentials, options, headers);
  // Set, or agent-base works the scheme out from a stack trace on every request.
  agent.protocol = scheme;
  return agent;
}
