import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import { RtcConfigurationError } from '../errors';
import { resolveOptions, RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { makeTestCertificates } from '../../test/test-certificates';

const PASSWORD = 'hunter2-Kq8';
const BASE: RtcMessagingModuleOptions = {
  accessKeyId: 'AKLTexample',
  secretAccessKey: 'secret',
  appId: 'app',
  from: 'server_bot',
  endpoint: 'https://rtc.example.com',
};

/** The problems `resolveOptions` reports for `http`; fails when it accepts the options. */
function problemsOf(http: unknown): readonly string[] {
  try {
    resolveOptions({ ...BASE, http });
  } catch (error) {
    expect(error).toBeInstanceOf(RtcConfigurationError);
    expect((error as Error).message).not.toContain(PASSWORD);
    return (error as RtcConfigurationError).problems;
  }
  throw new Error('the options were accepted');
}

describe('http options, validated at boot', () => {
  const savedEnv = { ...process.env };
  afterEach(() => {
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY']) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
  });

  it('http must be an object', () => {
    expect(problemsOf('proxy')).toEqual(['http must be an object']);
  });

  it.each([
    ['a SOCKS proxy with a password', `socks5://user:${PASSWORD}@proxy:1080`],
    ['a proxy without a scheme', `user:${PASSWORD}@proxy:3128`],
    ['true', true],
  ])('proxy: %s is refused, naming the field and the rule', (_, proxy) => {
    expect(problemsOf({ proxy })).toEqual([
      "http.proxy must be an http:// or https:// URL with a host, 'env' or false",
    ]);
  });

  it.each([
    ['a file path', '/etc/ssl/certs/corp-ca.pem'],
    ['a number', 42],
    ['an empty array', []],
    ['PEM that is cut off', '-----BEGIN CERTIFICATE-----\nMIIB\n'],
  ])('ca: %s is refused', (_, ca) => {
    expect(problemsOf({ ca })).toEqual([
      'http.ca must be PEM certificates (-----BEGIN CERTIFICATE-----) in a string or Buffer, ' +
        "or an array of them (the file's content, not its path)",
    ]);
  });

  it('agents must be http.Agent instances, and agentOptions an object', () => {
    expect(problemsOf({ httpsAgent: {}, agentOptions: 'keepAlive' })).toEqual([
      'http.httpsAgent must be an instance of Agent',
      'http.agentOptions must be an object',
    ]);
  });

  it('your own agent excludes the settings of the module’s agents', () => {
    const httpsAgent = new HttpsAgent();
    expect(problemsOf({ httpsAgent, proxy: `http://u:${PASSWORD}@proxy:3128`, ca: [] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^http\.ca must be PEM/)]),
    );
    expect(problemsOf({ httpsAgent, proxy: `http://u:${PASSWORD}@proxy:3128` })).toEqual([
      "http.proxy cannot be combined with http.httpsAgent: it configures the module's own " +
        'agents; set it on your agent instead',
    ]);
  });

  it("proxy: 'env' refuses a malformed proxy variable, naming it but not its value", () => {
    process.env.HTTPS_PROXY = `socks5://user:${PASSWORD}@proxy:1080`;
    expect(problemsOf({ proxy: 'env' })).toEqual([
      "http.proxy is 'env', and HTTPS_PROXY (or ALL_PROXY) must be an http:// or https:// URL " +
        "with a host, 'env' or false",
    ]);
  });

  it('accepts a CA bundle, agent options and a proxy; the proxy URL does not show', () => {
    const { ca } = makeTestCertificates();
    const resolved = resolveOptions({
      ...BASE,
      http: { ca, agentOptions: { maxSockets: 8 }, proxy: `http://u:${PASSWORD}@proxy:3128` },
    });

    expect(resolved.http.agentOptions).toEqual({ maxSockets: 8, ca: [ca] });
    expect(resolved.http.proxy?.password).toBe(PASSWORD);
    expect(inspect(resolved, { depth: Infinity, showHidden: true })).not.toContain(PASSWORD);
    expect(JSON.stringify(resolved)).not.toContain(PASSWORD);
  });

  it("without proxy: 'env', the environment's proxy is not read", () => {
    process.env.HTTPS_PROXY = 'http://proxy.corp:3128';
    expect(resolveOptions(BASE).http.proxy).toBeUndefined();
    expect(resolveOptions({ ...BASE, http: { proxy: false } }).http.proxy).toBeUndefined();
    expect(resolveOptions({ ...BASE, http: { proxy: 'env' } }).http.proxy?.href).toBe(
      'http://proxy.corp:3128/',
    );
  });
});
