import { Agent as HttpAgent } from 'node:http';
import type { AgentOptions } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { IsInstance, IsObject, IsOptional, registerDecorator } from 'class-validator';

/**
 * proxy-from-env's one function: the proxy URL the environment names for `url`
 * (`<SCHEME>_PROXY`, then `ALL_PROXY`, lower or upper case), or `''` when there is none or
 * `NO_PROXY` lists its host. Required and typed here because the package ships no types: an
 * ambient declaration file would be missed by builds that compile only what they import.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getProxyForUrl } = require('proxy-from-env') as {
  getProxyForUrl: (url: string) => string;
};

/**
 * Where the module's calls go through:
 * - a proxy URL, `http://host:port` or `https://host:port`, with credentials if it needs them
 *   (`http://user:pass@proxy:3128`); they are sent as `Proxy-Authorization` and never shown;
 * - `'env'`: the proxy the environment names for the endpoint's scheme (`HTTPS_PROXY`,
 *   `HTTP_PROXY`, `ALL_PROXY`, lower or upper case), unless `NO_PROXY` lists the endpoint's host;
 * - `false` (the default): no proxy, whatever the environment says.
 *
 * (Typed `string | false`: `'env'` is one of the strings.)
 */
export type RtcProxySetting = string | false;

/** A PEM CA bundle: one string or Buffer of PEM certificates, or several. */
export type RtcCaBundle = string | Buffer | readonly (string | Buffer)[];

/**
 * HTTP settings of the module's calls (`http` in `RtcMessagingModuleOptions`). Calls keep their
 * keep-alive agents, their timeout and their signing whatever is set here.
 *
 * A proxy is always used as a CONNECT tunnel, for `https://` and `http://` endpoints alike: the
 * proxy sees `CONNECT host:port` and then only TLS (for an `https://` endpoint), never the signed
 * headers or a message.
 */
export class RtcHttpOptions {
  /**
   * Your own agent for an `https://` endpoint, used as given: the module neither configures nor
   * destroys it. Not with `agentOptions`, `ca` or `proxy`, which configure the module's agents.
   */
  @IsOptional()
  @IsInstance(HttpAgent)
  httpsAgent?: HttpAgent;

  /** Your own agent for an `http://` endpoint; as `httpsAgent`. */
  @IsOptional()
  @IsInstance(HttpAgent)
  httpAgent?: HttpAgent;

  /**
   * Options of the module's agents (`node:https` `AgentOptions`: `maxSockets`, `family`,
   * `localAddress`, TLS settings, ...), over the module's `keepAlive: true` and idle timeout.
   */
  @IsOptional()
  @IsObject()
  agentOptions?: AgentOptions;

  /**
   * The CA certificates that the endpoint's (and an `https://` proxy's) certificate must chain
   * to, in PEM. As Node's `ca`, it replaces the bundled public roots: add `tls.rootCertificates`
   * to trust those too.
   */
  @IsOptional()
  @IsCaBundle()
  ca?: RtcCaBundle;

  /** See {@link RtcProxySetting}. Default `false`: the environment's proxy variables are ignored. */
  @IsOptional()
  @IsProxySetting()
  proxy?: RtcProxySetting;
}

/** A bundle Node can load: a file path or a DER file given by mistake fails here, at boot. */
function IsCaBundle(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'caBundle',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => {
          const items: unknown[] = Array.isArray(value) ? value : [value];
          if (items.length === 0) return false;
          return items.every(isPemCertificates);
        },
        defaultMessage: (args) =>
          `${args?.property} must be PEM certificates (-----BEGIN CERTIFICATE-----) in a string ` +
          `or Buffer, or an array of them (the file's content, not its path)`,
      },
    });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * PEM holding at least one certificate, each of which parses. Node's `ca` skips what it cannot
 * read without a word, so a path or a truncated file would only show as TLS errors on every call.
 */
function isPemCertificates(item: unknown): boolean {
  if (typeof item !== 'string' && !Buffer.isBuffer(item)) return false;
  const blocks = item.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  try {
    for (const block of blocks) new X509Certificate(block);
    return blocks.length > 0;
  } catch {
    return false;
  }
}

const PROXY_RULE = "must be an http:// or https:// URL with a host, 'env' or false";

function IsProxySetting(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'proxySetting',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          value === false || value === 'env' || parseProxyUrl(value) !== undefined,
        defaultMessage: (args) => `${args?.property} ${PROXY_RULE}`,
      },
    });
}

/** An `http:`/`https:` URL with a host, or `undefined`. */
function parseProxyUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
      ? url
      : undefined;
  } catch {
    return undefined;
  }
}

/** Which of the module's agent settings a given agent would silently override. */
const AGENT_SETTINGS = ['agentOptions', 'ca', 'proxy'] as const;

/**
 * What the `http` options break together, once each is well-formed; each problem names the
 * options and the rule, never a value (a proxy URL may hold a password).
 */
export function httpOptionProblems(http: RtcHttpOptions, endpoint: URL): string[] {
  const problems: string[] = [];
  for (const agent of ['httpsAgent', 'httpAgent'] as const) {
    if (http[agent] === undefined) continue;
    for (const setting of AGENT_SETTINGS) {
      if (http[setting] !== undefined && http[setting] !== false) {
        problems.push(
          `http.${setting} cannot be combined with http.${agent}: it configures the module's own ` +
            `agents; set it on your agent instead`,
        );
      }
    }
  }
  if (http.proxy === 'env') {
    const fromEnv = getProxyForUrl(endpoint.href);
    if (fromEnv !== '' && parseProxyUrl(fromEnv) === undefined) {
      const scheme = endpoint.protocol === 'https:' ? 'HTTPS' : 'HTTP';
      problems.push(`http.proxy is 'env', and ${scheme}_PROXY (or ALL_PROXY) ${PROXY_RULE}`);
    }
  }
  return problems;
}

/**
 * The `http` options after validation. The proxy URL is `#private` behind a getter: it may hold
 * the proxy's password, and a stray `console.log(options)` must not show it. Your own agents are
 * `#private` too: an agent holds the sockets of the calls in flight, and with them their signed
 * headers.
 */
export class ResolvedHttpOptions {
  readonly #ownAgents: { readonly http?: HttpAgent; readonly https?: HttpAgent };
  /** Options of the module's agents, `ca` included. */
  readonly agentOptions: AgentOptions;
  readonly #proxy: URL | undefined;

  constructor(http: RtcHttpOptions, endpoint: URL) {
    this.#ownAgents = { http: http.httpAgent, https: http.httpsAgent };
    this.agentOptions = {
      ...http.agentOptions,
      ...(http.ca === undefined ? {} : { ca: [http.ca].flat() }),
    };
    const proxy = http.proxy === 'env' ? getProxyForUrl(endpoint.href) : http.proxy;
    this.#proxy = proxy ? parseProxyUrl(proxy) : undefined;
  }

  /**
   * Your own agent for a `scheme` endpoint, if you gave one; the module does not destroy it.
   */
  ownAgent(scheme: 'http:' | 'https:'): HttpAgent | undefined {
    return scheme === 'https:' ? this.#ownAgents.https : this.#ownAgents.http;
  }

  /** The proxy the calls tunnel through, with its credentials; `undefined` for none. */
  get proxy(): URL | undefined {
    return this.#proxy;
  }
}
