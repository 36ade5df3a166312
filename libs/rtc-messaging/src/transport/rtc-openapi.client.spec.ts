import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Test, TestingModule } from '@nestjs/testing';
import { answerWith as answer, StubUpstream } from '../../test/stub-upstream';
import {
  RtcClockSkewError,
  RtcError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
} from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RTC_HTTP_SERVICE } from '../rtc-messaging.constants';
import { RtcHttpService } from './http-service.provider';
import { RtcOpenApiClient } from './rtc-openapi.client';

const SECRET = 'client-spec-secret';
const TOKEN = 'STSclientSpecToken';

const envelope = (extra: object) => ({
  ResponseMetadata: {
    RequestId: 'req-1',
    Action: 'SendUnicast',
    Version: '2023-07-20',
    Service: 'rtc',
    Region: 'cn-north-1',
    ...extra,
  },
});

describe('RtcOpenApiClient', () => {
  const upstream = new StubUpstream();
  let moduleRef: TestingModule;
  let client: RtcOpenApiClient;

  beforeAll(async () => {
    const endpoint = await upstream.start();
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AKLTclientSpec',
          secretAccessKey: SECRET,
          sessionToken: TOKEN,
          appId: 'app',
          from: 'bot',
          endpoint,
          timeoutMs: 300,
        }),
      ],
    }).compile();
    client = moduleRef.get(RtcOpenApiClient);
  });

  afterAll(async () => {
    await moduleRef.close();
    await upstream.stop();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  /** The error a call throws, checked to carry no secret in any form. */
  async function failure(): Promise<RtcError> {
    const error = await client.call('SendUnicast', { To: 'u' }).then(
      () => {
        throw new Error('expected the call to fail');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RtcError);
    for (const shown of [String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain(TOKEN);
      expect(shown).not.toMatch(/HMAC-SHA256 Credential/);
    }
    return error as RtcError;
  }

  it('posts the exact JSON it signed, with the signing headers, and returns the result', async () => {
    upstream.handler = answer(200, { ...envelope({}), Result: { Message: 'Success' } });
    const result = await client.call('SendUnicast', { AppId: 'app', Message: '你好' });

    expect(result).toEqual({ requestId: 'req-1', result: { Message: 'Success' } });
    const [{ req, body }] = upstream.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/?Action=SendUnicast&Version=2023-07-20');
    expect(body.toString('utf8')).toBe('{"AppId":"app","Message":"你好"}');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-security-token']).toBe(TOKEN);
    expect(req.headers['x-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(req.headers.authorization).toMatch(
      /^HMAC-SHA256 Credential=AKLTclientSpec\/\d{8}\/cn-north-1\/rtc\/request, SignedHeaders=content-type;host;x-content-sha256;x-date;x-security-token, Signature=[0-9a-f]{64}$/,
    );
  });

  it("goes through the module's axios instance: its interceptors run, its common headers are sent", async () => {
    upstream.handler = answer(200, { ...envelope({}), Result: { Message: 'Success' } });
    const { axiosRef } = moduleRef.get<RtcHttpService>(RTC_HTTP_SERVICE);
    const intercepted: (string | undefined)[] = [];
    const interceptor = axiosRef.interceptors.request.use((config) => {
      intercepted.push(config.url);
      return config;
    });
    axiosRef.defaults.headers.common['X-Trace-Id'] = 'trace-1';
    try {
      await client.call('SendUnicast', { AppId: 'app' });
    } finally {
      axiosRef.interceptors.request.eject(interceptor);
      delete axiosRef.defaults.headers.common['X-Trace-Id'];
    }

    expect(intercepted).toEqual(['/?Action=SendUnicast&Version=2023-07-20']);
    expect(upstream.requests[0].req.headers['x-trace-id']).toBe('trace-1');
  });

  it('maps a 4xx error envelope to RtcUpstreamError, not delivered', async () => {
    upstream.handler = answer(
      400,
      envelope({ Error: { Code: 'InvalidParameter.IllegalTo', Message: 'bad to' } }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUpstreamError);
    expect(error).toMatchObject({
      status: 400,
      code: 'InvalidParameter.IllegalTo',
      codeN: undefined,
      requestId: 'req-1',
      upstreamMessage: 'bad to',
      outcome: 'not_delivered',
    });
  });

  it('keeps the gateway CodeN', async () => {
    upstream.handler = answer(
      401,
      envelope({ Error: { Code: 'SignatureDoesNotMatch', CodeN: 100010, Message: 'x' } }),
    );
    expect(await failure()).toMatchObject({
      code: 'SignatureDoesNotMatch',
      codeN: 100010,
      status: 401,
    });
  });

  it.each([500, 504])('maps an HTTP %i error to RtcUnknownOutcomeError', async (status) => {
    upstream.handler = answer(
      status,
      envelope({ Error: { Code: 'InternalError', CodeN: 100014, Message: 'x' } }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
    expect(error).toMatchObject({
      outcome: 'unknown',
      reason: 'upstream_error',
      upstream: { status, code: 'InternalError', codeN: 100014, requestId: 'req-1' },
    });
  });

  it('maps InvalidTimestamp to RtcClockSkewError with a hint to sync the clock', async () => {
    upstream.handler = answer(
      400,
      envelope({ Error: { Code: 'InvalidTimestamp', CodeN: 100006, Message: 'expired' } }),
    );
    const error = await failure();
    expect(error).toBeInstanceOf(RtcClockSkewError);
    expect(error).toBeInstanceOf(RtcUpstreamError);
    expect(error.message).toMatch(/sync the clock/);
  });

  it('treats an Error inside a 200 answer as a failure', async () => {
    upstream.handler = answer(200, envelope({ Error: { Code: 'InvalidParameter', Message: 'x' } }));
    expect(await failure()).toMatchObject({
      outcome: 'unknown',
      upstream: { code: 'InvalidParameter', status: 200 },
    });
  });

  it('maps 429 to RtcRateLimitedError with Retry-After', async () => {
    upstream.handler = answer(
      429,
      envelope({ Error: { Code: 'FlowLimitExceeded.QPSOverLimit', Message: 'slow down' } }),
      { 'Retry-After': '2' },
    );
    const error = await failure();
    expect(error).toBeInstanceOf(RtcRateLimitedError);
    expect(error).toMatchObject({
      retryAfterMs: 2_000,
      outcome: 'not_delivered',
      upstream: { code: 'FlowLimitExceeded.QPSOverLimit', status: 429, requestId: 'req-1' },
    });
  });

  it('maps a non-envelope refusal to a bad_response transport error', async () => {
    // 503: a proxy with nothing behind it. (A 502 page may come after forwarding: unknown.)
    upstream.handler = answer(503, '<html>Service Unavailable</html>', {
      'Content-Type': 'text/html',
    });
    const error = await failure();
    expect(error).toBeInstanceOf(RtcTransportError);
    expect(error).toMatchObject({ failure: 'bad_response', outcome: 'not_delivered' });
  });

  it('maps a 200 answer without an envelope to an unknown outcome', async () => {
    upstream.handler = answer(200, '{}');
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
    expect(error).toMatchObject({ reason: 'bad_response', outcome: 'unknown' });
  });

  it('maps a timeout after the request was written to an unknown outcome', async () => {
    upstream.handler = (_req, _body, res) => setTimeout(() => res.end(), 1_000).unref();
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
    expect(error).toMatchObject({ reason: 'timeout', outcome: 'unknown' });
  });

  it('maps a connection reset after the request was written to an unknown outcome', async () => {
    upstream.handler = (req) => req.socket.destroy();
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
    expect(error).toMatchObject({ reason: 'reset', outcome: 'unknown' });
  });

  it('maps a connection lost in the middle of the answer to an unknown outcome', async () => {
    upstream.handler = (_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '500' });
      res.write('{"ResponseMetadata":');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const error = await failure();
    expect(error).toBeInstanceOf(RtcUnknownOutcomeError);
    expect(error).toMatchObject({ reason: 'reset' });
  });

  it('does not follow redirects', async () => {
    upstream.handler = answer(302, '', { Location: 'http://127.0.0.1:1/' });
    const error = await failure();
    expect(error).toBeInstanceOf(RtcTransportError);
    expect(upstream.requests).toHaveLength(1);
  });

  it('probe reports the status of an unsigned GET /', async () => {
    upstream.handler = answer(400, envelope({ Error: { Code: 'MissingParameter', Message: 'x' } }));
    await expect(client.probe(500)).resolves.toMatchObject({ status: 400 });
    expect(upstream.requests[0].req.method).toBe('GET');
    expect(upstream.requests[0].req.headers.authorization).toBeUndefined();
  });
});

describe('RtcOpenApiClient without a listening upstream', () => {
  it('maps a refused connection to connect, not delivered', async () => {
    // Bind a port, then free it, so that nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AK',
          secretAccessKey: SECRET,
          appId: 'app',
          from: 'bot',
          endpoint: `http://127.0.0.1:${port}`,
        }),
      ],
    }).compile();
    const error = await moduleRef
      .get(RtcOpenApiClient)
      .call('SendUnicast', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RtcTransportError);
    expect(error).toMatchObject({ failure: 'connect', outcome: 'not_delivered' });
    expect(String((error as Error).message)).toContain('ECONNREFUSED');
    await moduleRef.close();
  });
});
