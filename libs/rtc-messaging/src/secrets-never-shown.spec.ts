import { Agent, createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { ModuleRef } from '@nestjs/core';
import { Test, TestingModule } from '@nestjs/testing';
import { RedisRateLimitStore } from './rate-limit/redis-rate-limit.store';
import { RTC_MESSAGING_OPTIONS } from './rtc-messaging.constants';
import { RtcMessagingModule } from './rtc-messaging.module';
import { RTC_MESSAGING_MODULE_OPTIONS } from './rtc-messaging.module-definition';
import { resolveOptions, RtcMessagingModuleOptions } from './rtc-messaging.options';
import { RTC_SERVICE } from './rtc-openapi.constants';
import { unsealOptions } from './sealed-module-options';
import { deriveSigningKey, formatXDate, V4Signer } from './signing';
import { RtcTokenService } from './token-service';
import { createRtcAgents } from './transport/rtc-agents';
import { RtcHttpService } from './transport/http-service.provider';
import { RtcOpenApiClient } from './transport';
import { testRedisUrlWithCredentials } from '../test/test-redis';

/*
 * Nothing the library holds may show a secret when logged or serialized: `util.inspect` with every
 * hidden property and no depth limit, and `JSON.stringify`. The check is generic: it seeds the
 * secrets it knows (and every encoding of the derived day key) and searches the whole output, so a
 * new secret option is caught as soon as it is added to SECRETS.
 */
const SECRET_KEY = 'sk-Zq8vN3xW5tY7uI9oP1aS';
const SESSION_TOKEN = 'STS2-tok-Lm4Kj6Hg8Fd0Sa2';
const REDIS_PASSWORD = 's3cretPass';
const APP_KEY = 'appkey-Qw7Er9Ty1Ui3Op5';
const SECONDARY_APP_KEY = 'appkey2-As4Df6Gh8Jk0Lz2';
const REGION = 'cn-north-1';
const REDIS_URL = testRedisUrlWithCredentials(REDIS_PASSWORD);
const PROXY_PASSWORD = 'proxyPw-Ux5Rt7';
const PROXY_URL = `http://corp-user:${PROXY_PASSWORD}@proxy.example.com:3128`;

const OPTIONS: Omit<RtcMessagingModuleOptions, 'endpoint'> = {
  accessKeyId: 'AKTPexample',
  secretAccessKey: SECRET_KEY,
  sessionToken: SESSION_TOKEN,
  appKey: APP_KEY,
  secondaryAppKey: SECONDARY_APP_KEY,
  appId: '661e000000000000000543cf',
  from: 'server_bot',
  region: REGION,
  rateLimit: { redis: REDIS_URL },
  retry: { maxAttempts: 1 },
};

/** The same keys, from the `credentials` function instead, as STS credentials would come. */
const { accessKeyId: _, secretAccessKey: __, sessionToken: ___, ...WITHOUT_STATIC_KEYS } = OPTIONS;
const WITH_CREDENTIALS_FUNCTION: Omit<RtcMessagingModuleOptions, 'endpoint'> = {
  ...WITHOUT_STATIC_KEYS,
  credentials: async () => ({
    accessKeyId: 'AKTPexample',
    secretAccessKey: SECRET_KEY,
    sessionToken: SESSION_TOKEN,
    expiresAt: new Date(Date.now() + 3_600_000),
  }),
};

/** Every form in which a day's signing key could be printed. */
function encodingsOfDayKey(day: Date): string[] {
  const key = deriveSigningKey(SECRET_KEY, formatXDate(day).slice(0, 8), {
    region: REGION,
    service: RTC_SERVICE,
  });
  const hex = key.toString('hex');
  return [
    hex,
    hex.match(/../g)!.join(' '), // inspect(Buffer): <Buffer 1a 2b ...>
    key.toString('base64'),
    key.toString('base64url'),
    [...key].join(','), // JSON of a Buffer: {"type":"Buffer","data":[26,43,...]}
  ];
}

const DAY_MS = 86_400_000;
const SECRETS = [
  SECRET_KEY,
  SESSION_TOKEN,
  REDIS_PASSWORD,
  APP_KEY,
  SECONDARY_APP_KEY,
  PROXY_PASSWORD,
  // The proxy's Basic credentials, as the CONNECT request carries them.
  Buffer.from(`corp-user:${PROXY_PASSWORD}`).toString('base64'),
  // Yesterday and tomorrow too: the test may straddle midnight UTC.
  ...[-DAY_MS, 0, DAY_MS].flatMap((offset) => encodingsOfDayKey(new Date(Date.now() + offset))),
];

/** The secrets that `value` shows when inspected in full or serialized. */
function secretsShownBy(value: unknown): string[] {
  return shownIn(value, SECRETS);
}

/** Those of `secrets` that `value` shows when inspected in full or serialized. */
function shownIn(value: unknown, secrets: readonly string[]): string[] {
  const shown = [
    inspect(value, { depth: Infinity, showHidden: true, maxArrayLength: Infinity }),
    // Getters run too: what a logger that asks for them would print.
    inspect(value, { depth: Infinity, getters: true, maxArrayLength: Infinity }),
  ];
  try {
    shown.push(JSON.stringify(value) ?? '');
  } catch {
    // A cyclic value cannot be serialized at all, so it shows nothing that way.
  }
  return secrets.filter((secret) => shown.some((text) => text.includes(secret)));
}

/**
 * Every provider instance of every module in the compiled graph, by module and token. Nest's own
 * core providers (`ModuleRef`, `ModulesContainer`, ...) are left out: they hold the whole graph,
 * whose providers are each checked here, and printing it in full once per core provider is slow.
 */
function providersOf(moduleRef: TestingModule): Map<string, unknown> {
  // Nest keeps the graph in its container; there is no public API that lists every provider.
  const container = (moduleRef as unknown as { container: NestContainerLike }).container;
  const found = new Map<string, unknown>();
  for (const module of container.getModules().values()) {
    if (module.metatype?.name === 'InternalCoreModule') continue;
    for (const [token, wrapper] of module.providers) {
      if (wrapper.instance instanceof ModuleRef) continue;
      const name = typeof token === 'function' ? token.name : String(token);
      found.set(`${module.metatype?.name ?? '?'}/${name}`, wrapper.instance);
    }
  }
  return found;
}

interface NestContainerLike {
  getModules(): Map<
    string,
    {
      metatype?: { name: string };
      providers: Map<unknown, { instance: unknown }>;
    }
  >;
}

/** An upstream that accepts every call: a completed call leaves its socket idle in the agent. */
function startUpstream(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ ResponseMetadata: { RequestId: 'r-1' }, Result: {} }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const registrations = {
  forRoot: (endpoint: string) => RtcMessagingModule.forRoot({ ...OPTIONS, endpoint }),
  'forRootAsync (useFactory)': (endpoint: string) =>
    RtcMessagingModule.forRootAsync({ useFactory: async () => ({ ...OPTIONS, endpoint }) }),
  'forRoot with a credentials function': (endpoint: string) =>
    RtcMessagingModule.forRoot({ ...WITH_CREDENTIALS_FUNCTION, endpoint }),
  // Your agent holds the sockets of the calls in flight as the module's own would.
  'forRoot with your own agent': (endpoint: string) =>
    RtcMessagingModule.forRoot({ ...OPTIONS, endpoint, http: { httpAgent: new Agent() } }),
};

describe('the secret search', () => {
  it('finds a secret wherever it is shown', () => {
    expect(
      secretsShownBy({ nested: [{ key: Buffer.from(encodingsOfDayKey(new Date())[0], 'hex') }] }),
    ).not.toEqual([]);
    expect(secretsShownBy(Object.defineProperty({}, 'hidden', { value: SECRET_KEY }))).toEqual([
      SECRET_KEY,
    ]);
    expect(secretsShownBy(OPTIONS)).toEqual(
      expect.arrayContaining([SECRET_KEY, SESSION_TOKEN, REDIS_PASSWORD]),
    );
  });
});

describe.each(Object.entries(registrations))(
  'secrets of a module registered by %s',
  (_, register) => {
    let upstream: Server;
    let moduleRef: TestingModule;

    beforeAll(async () => {
      upstream = await startUpstream();
      const { port } = upstream.address() as AddressInfo;
      moduleRef = await Test.createTestingModule({
        imports: [register(`http://127.0.0.1:${port}`)],
      }).compile();
      await moduleRef.init();
      // One signed call, so that the signer holds today's derived key; tokens made and checked.
      await moduleRef.get(RtcOpenApiClient).call('SendUnicast', {});
      const tokens = moduleRef.get(RtcTokenService);
      await tokens.verifyToken((await tokens.createLoginToken('user_1')).token);
      await tokens.createRoomToken('room_1', 'user_1');
    });

    afterAll(async () => {
      await moduleRef.close();
      upstream.close();
    });

    it('no provider of the compiled module shows a secret', () => {
      const providers = providersOf(moduleRef);
      expect(providers.size).toBeGreaterThan(5);
      const leaks = [...providers]
        .map(([name, instance]) => ({ name, shown: secretsShownBy(instance) }))
        .filter(({ shown }) => shown.length > 0);
      expect(leaks).toEqual([]);
    });

    it('no provider shows a secret while a call is in flight, nor its Authorization header', async () => {
      // An upstream that holds the call: its request (signed, with the session token) sits on a
      // socket of the module's agent until the check is done.
      let release!: () => void;
      let authorization = '';
      const received = new Promise<void>((resolve) => {
        upstream.removeAllListeners('request');
        upstream.on('request', (request, response) => {
          authorization = String(request.headers.authorization);
          resolve();
          release = () => {
            response.setHeader('Content-Type', 'application/json');
            response.end(JSON.stringify({ ResponseMetadata: { RequestId: 'r-2' }, Result: {} }));
          };
        });
      });
      const call = moduleRef.get(RtcOpenApiClient).call('SendUnicast', {});
      await received;
      try {
        expect(authorization).toContain('Signature=');
        const leaks = [...providersOf(moduleRef)]
          .map(([name, instance]) => ({
            name,
            shown: [...secretsShownBy(instance), ...shownIn(instance, [authorization])],
          }))
          .filter(({ shown }) => shown.length > 0);
        expect(leaks).toEqual([]);
      } finally {
        release();
        await call;
      }
    });

    it('the resolved options show no secret', () => {
      expect(secretsShownBy(moduleRef.get(RTC_MESSAGING_OPTIONS))).toEqual([]);
    });

    it('the options as given stay readable through RTC_MESSAGING_MODULE_OPTIONS', async () => {
      const given = unsealOptions(moduleRef.get(RTC_MESSAGING_MODULE_OPTIONS));
      const secretKey = given.credentials
        ? (await given.credentials({ signal: new AbortController().signal })).secretAccessKey
        : given.secretAccessKey;
      expect(secretKey).toBe(SECRET_KEY);
    });
  },
);

describe('secrets of the exported classes', () => {
  it('resolveOptions shows no secret, and keeps them readable', () => {
    const resolved = resolveOptions({ ...OPTIONS, endpoint: 'https://rtc.example.com' });
    expect(secretsShownBy(resolved)).toEqual([]);
    expect(resolved.credentials).toMatchObject({
      kind: 'static',
      credentials: { secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN },
    });
    expect(resolved.rateLimit && resolved.rateLimit.redis).toBe(REDIS_URL);
    expect(resolved.appKeys).toBeDefined();
  });

  it('the options and HttpService of a module behind a proxy with credentials show no password', () => {
    const resolved = resolveOptions({
      ...OPTIONS,
      endpoint: 'https://rtc.example.com',
      http: { proxy: PROXY_URL },
    });
    const http = new RtcHttpService(
      createRtcAgents(resolved.http),
      1_000,
      resolved.endpoint.origin,
    );
    try {
      expect(secretsShownBy(resolved)).toEqual([]);
      expect(secretsShownBy(http)).toEqual([]);
      expect(resolved.http.proxy?.password).toBe(PROXY_PASSWORD);
    } finally {
      http.onApplicationShutdown();
    }
  });

  it('a V4Signer shows no secret, before and after it signs', () => {
    const signer = new V4Signer(
      { accessKeyId: 'AKTPexample', secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN },
      { region: REGION, service: RTC_SERVICE },
    );
    expect(secretsShownBy(signer)).toEqual([]);
    signer.sign({ method: 'POST', query: { Action: 'SendUnicast' }, headers: {}, body: '{}' });
    expect(secretsShownBy(signer)).toEqual([]);
  });

  it('a RedisRateLimitStore opened from a URL shows no password', async () => {
    const store = new RedisRateLimitStore({ url: REDIS_URL });
    try {
      expect(secretsShownBy(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
