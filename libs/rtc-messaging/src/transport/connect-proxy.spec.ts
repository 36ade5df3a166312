import { inspect } from 'node:util';
import { TestingModule } from '@nestjs/testing';
import { compileAgainst } from '../../test/against-emulator';
import { ConnectProxy } from '../../test/connect-proxy';
import { makeTestCertificates, TestCertificates } from '../../test/test-certificates';
import { RtcTransportError } from '../errors';
import { RTC_HTTP_SERVICE } from '../rtc-messaging.constants';
import { RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast/unicast.service';

const PROXY_USER = 'proxy-user';
const PROXY_PASSWORD = 'proxy-Pw7Zq9Xc';
const TEXT = 'a message the proxy must not read';

/** Proxy variables this spec sets, in both cases (proxy-from-env reads lower case first). */
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/*
 * `http.proxy` tunnels every call with CONNECT, so the proxy sees only `CONNECT host:port` and TLS:
 * never the signed headers or a message. The environment's proxy variables count only with
 * `proxy: 'env'`.
 */
describe('http.proxy: a CONNECT tunnel to an HTTPS emulator', () => {
  let certificates: TestCertificates;
  let emulator: RtcOpenApiEmulator;
  let proxy: ConnectProxy;
  let proxyOrigin: string;
  let moduleRef: TestingModule | undefined;
  const savedEnv = new Map<string, string | undefined>();

  beforeAll(async () => {
    certificates = makeTestCertificates();
    emulator = new RtcOpenApiEmulator({ tls: certificates });
    await emulator.start();
    proxy = new ConnectProxy(`${PROXY_USER}:${PROXY_PASSWORD}`);
    proxyOrigin = await proxy.start();
    for (const name of PROXY_ENV) savedEnv.set(name, process.env[name]);
  });

  beforeEach(() => {
    for (const name of PROXY_ENV) delete process.env[name];
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    emulator.reset();
    proxy.tunnels.length = 0;
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  afterAll(async () => {
    await proxy.stop();
    await emulator.stop();
  });

  const proxyUrl = (password = PROXY_PASSWORD) =>
    proxyOrigin.replace('//', `//${PROXY_USER}:${password}@`);

  const sendThrough = async (http: object) => {
    moduleRef = await compileAgainst(emulator, {
      retry: { maxAttempts: 1 },
      http: { ca: certificates.ca, ...http },
    });
    return moduleRef.get(UnicastService).sendText('user_1', TEXT);
  };

  it('delivers, and the proxy saw only CONNECT host:port with its credentials', async () => {
    await expect(sendThrough({ proxy: proxyUrl() })).resolves.toMatchObject({
      message: 'Success',
    });

    expect(emulator.accepted.map((m) => m.message)).toEqual([TEXT]);
    expect(proxy.forwarded).toEqual([]);
    expect(proxy.tunnels.map((t) => t.target)).toEqual([new URL(emulator.url).host]);
    expect(proxy.tunnels[0].headers['proxy-authorization']).toBe(
      `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`,
    );
    // Only TLS went through the tunnel: no request line, signature or message in clear.
    const seen = proxy.sentThroughTunnels();
    expect(seen.length).toBeGreaterThan(0);
    for (const clear of ['POST', 'SendUnicast', 'HMAC-SHA256', 'X-Date', TEXT]) {
      expect(seen).not.toContain(clear);
    }
    expect(Object.keys(proxy.tunnels[0].headers)).not.toContain('authorization');
  });

  it("the module's HttpService shows neither the proxy password nor its Basic credentials", async () => {
    await sendThrough({ proxy: proxyUrl() });
    const shown = inspect(moduleRef!.get(RTC_HTTP_SERVICE), {
      depth: Infinity,
      showHidden: true,
    });
    expect(shown).not.toContain(PROXY_PASSWORD);
    expect(shown).not.toContain(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'));
  });

  it('a proxy refusing the credentials: not delivered, and the error shows no password', async () => {
    const error = await sendThrough({ proxy: proxyUrl('wrong-Pw3') }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RtcTransportError);
    expect(error).toMatchObject({ outcome: 'not_delivered' });
    expect((error as Error).message).toContain('407');
    expect(inspect(error)).not.toContain('wrong-Pw3');
    expect(emulator.received).toBe(0);
  });

  it("with proxy: 'env', HTTPS_PROXY is used", async () => {
    process.env.HTTPS_PROXY = proxyUrl();
    await expect(sendThrough({ proxy: 'env' })).resolves.toBeDefined();
    expect(proxy.tunnels).toHaveLength(1);
  });

  it("with proxy: 'env', NO_PROXY listing the endpoint's host sends directly", async () => {
    process.env.HTTPS_PROXY = proxyUrl();
    process.env.NO_PROXY = 'example.com, 127.0.0.1';
    await expect(sendThrough({ proxy: 'env' })).resolves.toBeDefined();
    expect(proxy.tunnels).toHaveLength(0);
    expect(emulator.accepted).toHaveLength(1);
  });

  it("without proxy: 'env', HTTPS_PROXY is ignored", async () => {
    process.env.HTTPS_PROXY = proxyUrl();
    process.env.https_proxy = proxyUrl();
    await expect(sendThrough({})).resolves.toBeDefined();
    expect(proxy.tunnels).toHaveLength(0);
  });
});
