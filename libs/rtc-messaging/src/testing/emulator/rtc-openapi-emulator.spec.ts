import { once } from 'node:events';
import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import {
  canonicalRequest,
  computeSignature,
  credentialScope,
  Credentials,
  deriveSigningKey,
  formatXDate,
  sha256Hex,
  stringToSign,
  uriEscape,
  V4Signer,
} from '../../signing';
import type { MessagingResult, OpenApiEnvelope } from '../../transport/openapi-envelope';
import { EMULATOR_DEMO_CREDENTIALS, MAX_REQUEST_BODY_BYTES } from './emulator.options';
import { AcceptedMessage, RejectedCall, RtcOpenApiEmulator } from './rtc-openapi-emulator';

// ---------------------------------------------------------------------------------------------
// Client side of the tests: real signed HTTP requests, as a client of the real gateway sends them.
// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; `undefined` for an empty body (HEAD) or one that is not JSON (an HTML page). */
  body: OpenApiEnvelope<MessagingResult>;
  /** The body as sent (set by `send`). */
  text?: string;
}

function parseJsonOrUndefined(text: string): OpenApiEnvelope<MessagingResult> {
  try {
    return JSON.parse(text) as OpenApiEnvelope<MessagingResult>;
  } catch {
    return undefined as never;
  }
}

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

function send(base: string, raw: RawRequest): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port,
        method: raw.method,
        path: raw.path,
        headers: raw.headers,
        agent: raw.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: parseJsonOrUndefined(text),
            text,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(raw.body);
  });
}

interface CallOptions {
  /** `null` leaves the parameter out. */
  action?: string | null;
  version?: string | null;
  extraQuery?: Record<string, string>;
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string or Buffer as is. Default: a valid SendUnicast body. */
  body?: unknown;
  credentials?: Credentials;
  region?: string;
  service?: string;
  at?: Date;
  /** Headers handed to the signer (all signed). Default Content-Type and Host. */
  headers?: Record<string, string>;
  sign?: boolean;
  /** Edits the headers after signing (to break or strip them). */
  tamper?: (headers: Record<string, string>) => void;
  /** Bytes or path sent instead of the signed ones. */
  sendBody?: string | Buffer;
  sendPath?: string;
  agent?: Agent;
}

const APP_ID = '661e000000000000000543cf';

const bodies = {
  SendUnicast: () => ({
    AppId: APP_ID,
    From: 'server_bot',
    To: 'user_42',
    Binary: false,
    Message: 'hello',
  }),
  SendRoomUnicast: () => ({
    AppId: APP_ID,
    RoomId: 'room-1',
    From: 'server_bot',
    To: 'user_42',
    Binary: false,
    Message: 'hello',
  }),
  SendBroadcast: () => ({
    AppId: APP_ID,
    RoomId: 'room-1',
    From: 'server_bot',
    Binary: false,
    Message: 'hello',
  }),
  BatchSendRoomUnicast: () => ({
    AppId: APP_ID,
    RoomId: 'room-1',
    From: 'server_bot',
    To: ['user_1', 'user_2'],
    Binary: false,
    Message: 'hello',
  }),
};
type Action = keyof typeof bodies;

function queryString(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => `${uriEscape(k)}=${uriEscape(v)}`)
    .join('&');
}

function call(base: string, o: CallOptions = {}): Promise<Reply> {
  const query: Record<string, string> = {};
  if (o.action !== null) query.Action = o.action ?? 'SendUnicast';
  if (o.version !== null) query.Version = o.version ?? '2023-07-20';
  Object.assign(query, o.extraQuery);
  const body =
    o.body === undefined
      ? JSON.stringify(bodies.SendUnicast())
      : typeof o.body === 'string' || Buffer.isBuffer(o.body)
        ? o.body
        : JSON.stringify(o.body);
  const method = o.method ?? 'POST';
  const toSign = o.headers ?? { 'Content-Type': 'application/json', Host: new URL(base).host };
  const headers =
    o.sign === false
      ? { ...toSign }
      : new V4Signer(o.credentials ?? EMULATOR_DEMO_CREDENTIALS, {
          region: o.region ?? 'cn-north-1',
          service: o.service ?? 'rtc',
        }).sign({ method, query, headers: toSign, body }, o.at ?? new Date());
  o.tamper?.(headers);
  const qs = queryString(query);
  return send(base, {
    method,
    path: o.sendPath ?? `${o.path ?? '/'}${qs ? `?${qs}` : ''}`,
    headers,
    body: o.sendBody ?? body,
    agent: o.agent,
  });
}

/** Authorization built by hand, to sign header sets V4Signer never produces. */
function handSigned(
  signedHeaders: Record<string, string>,
  body: string,
  at = new Date(),
): Record<string, string> {
  const xDate = formatXDate(at);
  const scope = { region: 'cn-north-1', service: 'rtc' };
  const { canonical, signedHeaders: list } = canonicalRequest(
    {
      method: 'POST',
      path: '/',
      query: { Action: 'SendUnicast', Version: '2023-07-20' },
      headers: signedHeaders,
    },
    sha256Hex(body),
  );
  const credential = credentialScope(xDate.slice(0, 8), scope);
  const key = deriveSigningKey(EMULATOR_DEMO_CREDENTIALS.secretAccessKey, xDate.slice(0, 8), scope);
  const signature = computeSignature(key, stringToSign(xDate, credential, canonical));
  return {
    ...signedHeaders,
    Authorization:
      `HMAC-SHA256 Credential=${EMULATOR_DEMO_CREDENTIALS.accessKeyId}/${credential}, ` +
      `SignedHeaders=${list}, Signature=${signature}`,
  };
}

function expectError(reply: Reply, status: number, code: string, codeN?: number): void {
  expect({ status: reply.status, error: reply.body?.ResponseMetadata?.Error }).toEqual({
    status,
    error:
      codeN === undefined
        ? { Code: code, Message: expect.any(String) }
        : { Code: code, CodeN: codeN, Message: expect.any(String) },
  });
  expect(reply.body.Result).toBeUndefined();
}

const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------

describe('RtcOpenApiEmulator', () => {
  let emulator: RtcOpenApiEmulator;
  let base: string;

  beforeAll(async () => {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond: null });
    base = await emulator.start();
  });
  afterAll(() => emulator.stop());
  beforeEach(() => emulator.reset());

  describe('success', () => {
    it('answers the real success envelope and records the message', async () => {
      const events: AcceptedMessage[] = [];
      const listener = (m: AcceptedMessage): void => void events.push(m);
      emulator.on('accepted', listener);
      const before = Date.now();
      const reply = await call(base);
      emulator.off('accepted', listener);

      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(reply.body).toEqual({
        ResponseMetadata: {
          RequestId: expect.stringMatching(/^\d{14}[0-9A-F]{24}$/),
          Action: 'SendUnicast',
          Version: '2023-07-20',
          Service: 'rtc',
          Region: 'cn-north-1',
        },
        Result: { Message: 'Success' },
      });
      expect(emulator.accepted).toEqual([
        {
          action: 'SendUnicast',
          requestId: reply.body.ResponseMetadata.RequestId,
          appId: APP_ID,
          from: 'server_bot',
          to: 'user_42',
          roomId: undefined,
          binary: false,
          message: 'hello',
          receivedAt: expect.any(Date),
          countedAt: expect.any(Number),
          accessKeyId: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
        },
      ]);
      expect(emulator.accepted[0].receivedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(events).toEqual(emulator.accepted);
      expect(emulator.received).toBe(1);
      expect(emulator.acceptedCount).toBe(1);
    });

    it.each(Object.keys(bodies) as Action[])('accepts %s with its own body', async (action) => {
      const reply = await call(base, { action, body: bodies[action]() });
      expect(reply.status).toBe(200);
      expect(reply.body.ResponseMetadata.Action).toBe(action);
      const body = bodies[action]() as Record<string, unknown>;
      expect(emulator.accepted[0]).toMatchObject({
        action,
        appId: APP_ID,
        from: 'server_bot',
        to: body.To,
        roomId: body.RoomId,
      });
    });

    it('accepts a binary message and records it as sent (base64)', async () => {
      const message = Buffer.from([0, 1, 2, 255]).toString('base64');
      const reply = await call(base, {
        body: { ...bodies.SendUnicast(), Binary: true, Message: message },
      });
      expect(reply.status).toBe(200);
      expect(emulator.accepted[0]).toMatchObject({ binary: true, message });
    });

    it('accepts Node-SDK-style signing (only x-content-sha256;x-date signed)', async () => {
      const reply = await call(base, {
        headers: {},
        tamper: (h) => {
          h['Content-Type'] = 'application/json';
        },
      });
      expect(reply.status).toBe(200);
    });

    it('canonicalises extra query parameters as received (escaped space, *, ~)', async () => {
      const reply = await call(base, { extraQuery: { Note: 'a b*~!' } });
      expect(reply.status).toBe(200);
    });

    it('emits rejected with the code of every error answer', async () => {
      const rejected: RejectedCall[] = [];
      const listener = (r: RejectedCall): void => void rejected.push(r);
      emulator.on('rejected', listener);
      await call(base, { sign: false });
      emulator.off('rejected', listener);
      expect(rejected).toEqual([
        {
          action: 'SendUnicast',
          requestId: expect.any(String),
          status: 401,
          code: 'MissingAuthenticationToken',
          message: expect.any(String),
          at: expect.any(Number),
        },
      ]);
    });
  });

  describe('routing (before authentication)', () => {
    it('answers a readiness probe GET / with 400 MissingParameter', async () => {
      const reply = await send(base, { method: 'GET', path: '/', headers: {} });
      expectError(reply, 400, 'MissingParameter', 100002);
      expect(reply.body.ResponseMetadata).toMatchObject({
        Action: '',
        Version: '',
        Service: 'rtc',
      });
    });

    it('answers HEAD / with 400 and no body', async () => {
      const reply = await send(base, { method: 'HEAD', path: '/', headers: {} });
      expect(reply.status).toBe(400);
      expect(reply.body).toBeUndefined();
    });

    it('answers MissingParameter when Version or Action is missing', async () => {
      expectError(await call(base, { version: null }), 400, 'MissingParameter', 100002);
      expectError(await call(base, { action: null }), 400, 'MissingParameter', 100002);
    });

    it('answers 404 ServiceNotFound for another path', async () => {
      expectError(await call(base, { path: '/v2/' }), 404, 'ServiceNotFound', 100007);
    });

    it('answers 404 InvalidActionOrVersion for an unknown action or version', async () => {
      expectError(await call(base, { action: 'ListRooms' }), 404, 'InvalidActionOrVersion', 100008);
      expectError(
        await call(base, { version: '2020-12-01' }),
        404,
        'InvalidActionOrVersion',
        100008,
      );
      // Route errors come before authentication.
      expectError(
        await call(base, { action: 'SendMulticast', sign: false }),
        404,
        'InvalidActionOrVersion',
        100008,
      );
    });

    it('answers 405 MethodNotAllowed for a GET of a messaging action', async () => {
      const reply = await call(base, { method: 'GET', body: '' });
      expectError(reply, 405, 'MethodNotAllowed');
    });

    it('counts every request, answered or not, and probes (GET / naming no action) apart', async () => {
      await send(base, { method: 'GET', path: '/', headers: {} });
      await call(base, { path: '/nope' });
      await call(base);
      expect(emulator.received).toBe(2);
      expect(emulator.probes).toBe(1);
      expect(emulator.acceptedCount).toBe(1);
    });
  });

  describe('authentication', () => {
    it('MissingAuthenticationToken without Authorization', async () => {
      const reply = await call(base, { tamper: (h) => delete h.Authorization });
      expectError(reply, 401, 'MissingAuthenticationToken', 100003);
    });

    it('InvalidAuthorization for a malformed Authorization', async () => {
      expectError(
        await call(base, { tamper: (h) => (h.Authorization = 'Bearer abc') }),
        400,
        'InvalidAuthorization',
      );
      expectError(
        await call(base, {
          tamper: (h) => (h.Authorization = h.Authorization.replace('/request,', '/req,')),
        }),
        400,
        'InvalidAuthorization',
      );
    });

    it('MissingRequestInfo without X-Date or with a malformed one', async () => {
      expectError(
        await call(base, { tamper: (h) => delete h['X-Date'] }),
        400,
        'MissingRequestInfo',
        100004,
      );
      expectError(
        await call(base, { tamper: (h) => (h['X-Date'] = new Date().toISOString()) }),
        400,
        'MissingRequestInfo',
        100004,
      );
    });

    it('InvalidTimestamp when X-Date is more than 15 minutes off, either way', async () => {
      const now = Date.now();
      for (const at of [now - 16 * MINUTE, now + 16 * MINUTE]) {
        expectError(await call(base, { at: new Date(at) }), 400, 'InvalidTimestamp', 100006);
      }
      for (const at of [now - 14 * MINUTE, now + 14 * MINUTE]) {
        expect((await call(base, { at: new Date(at) })).status).toBe(200);
      }
    });

    it('honours maxClockSkewMs', async () => {
      const strict = new RtcOpenApiEmulator({ maxClockSkewMs: MINUTE });
      const url = await strict.start();
      try {
        expectError(
          await call(url, { at: new Date(Date.now() - 2 * MINUTE) }),
          400,
          'InvalidTimestamp',
          100006,
        );
        expect((await call(url, { at: new Date(Date.now() - 30_000) })).status).toBe(200);
      } finally {
        await strict.stop();
      }
    });

    it('InvalidTimestamp when the Credential date is not the X-Date day', async () => {
      const reply = await call(base, {
        tamper: (h) => {
          const day = h['X-Date'].slice(0, 8);
          const other = formatXDate(new Date(Date.now() - 24 * 60 * MINUTE)).slice(0, 8);
          h.Authorization = h.Authorization.replace(`/${day}/`, `/${other}/`);
        },
      });
      expectError(reply, 400, 'InvalidTimestamp', 100006);
    });

    it('InvalidAccessKey for an unknown access key', async () => {
      const reply = await call(base, {
        credentials: { accessKeyId: 'AKLTsomeoneElse', secretAccessKey: 'x' },
      });
      expectError(reply, 401, 'InvalidAccessKey', 100009);
    });

    it('SignatureDoesNotMatch for a wrong secret', async () => {
      const reply = await call(base, {
        credentials: { ...EMULATOR_DEMO_CREDENTIALS, secretAccessKey: 'wrong' },
      });
      expectError(reply, 401, 'SignatureDoesNotMatch', 100010);
    });

    it('SignatureDoesNotMatch for another region or service in the scope', async () => {
      expectError(await call(base, { region: 'cn-beijing' }), 401, 'SignatureDoesNotMatch', 100010);
      expectError(await call(base, { service: 'iam' }), 401, 'SignatureDoesNotMatch', 100010);
    });

    it('accepts the configured region only', async () => {
      const overseas = new RtcOpenApiEmulator({ region: 'ap-singapore-1' });
      const url = await overseas.start();
      try {
        const reply = await call(url, { region: 'ap-singapore-1' });
        expect(reply.status).toBe(200);
        expect(reply.body.ResponseMetadata.Region).toBe('ap-singapore-1');
        expectError(await call(url), 401, 'SignatureDoesNotMatch', 100010);
      } finally {
        await overseas.stop();
      }
    });

    it('SignatureDoesNotMatch when x-date is not signed', async () => {
      const body = JSON.stringify(bodies.SendUnicast());
      const headers = handSigned({ 'X-Content-Sha256': sha256Hex(body) }, body);
      headers['X-Date'] = formatXDate(new Date());
      const reply = await send(base, {
        method: 'POST',
        path: '/?Action=SendUnicast&Version=2023-07-20',
        headers,
        body,
      });
      expectError(reply, 401, 'SignatureDoesNotMatch', 100010);
    });

    it('treats X-Content-Sha256 as optional, but it must match the body when sent', async () => {
      const body = JSON.stringify(bodies.SendUnicast());
      const at = new Date();
      const path = '/?Action=SendUnicast&Version=2023-07-20';
      const headers = handSigned({ 'X-Date': formatXDate(at) }, body, at);
      expect((await send(base, { method: 'POST', path, headers, body })).status).toBe(200);
      const wrongHash = { ...headers, 'X-Content-Sha256': sha256Hex('something else') };
      expectError(
        await send(base, { method: 'POST', path, headers: wrongHash, body }),
        401,
        'SignatureDoesNotMatch',
        100010,
      );
    });

    it('SignatureDoesNotMatch when the body changed after signing', async () => {
      const signed = JSON.stringify(bodies.SendUnicast());
      const reply = await call(base, { body: signed, sendBody: signed.replace('hello', 'hellO') });
      expectError(reply, 401, 'SignatureDoesNotMatch', 100010);
      expect(emulator.accepted).toHaveLength(0);
    });

    it('SignatureDoesNotMatch when the query or Host changed after signing', async () => {
      expectError(
        await call(base, { sendPath: '/?Action=SendUnicast&Version=2023-07-20&Extra=1' }),
        401,
        'SignatureDoesNotMatch',
        100010,
      );
      expectError(
        await call(base, { tamper: (h) => (h.Host = 'rtc.volcengineapi.com') }),
        401,
        'SignatureDoesNotMatch',
        100010,
      );
    });

    describe('STS credentials', () => {
      const sts: Credentials = {
        accessKeyId: 'AKTPemulatorSts',
        secretAccessKey: 'stsSecret',
        sessionToken: 'STSgoodToken',
      };
      let stsEmulator: RtcOpenApiEmulator;
      let url: string;
      beforeAll(async () => {
        stsEmulator = new RtcOpenApiEmulator({ credentials: [sts, EMULATOR_DEMO_CREDENTIALS] });
        url = await stsEmulator.start();
      });
      afterAll(() => stsEmulator.stop());

      it('accepts the right X-Security-Token', async () => {
        expect((await call(url, { credentials: sts })).status).toBe(200);
      });

      it('InvalidSecretToken when the token is missing or wrong', async () => {
        const { sessionToken: _omitted, ...noToken } = sts;
        expectError(await call(url, { credentials: noToken }), 401, 'InvalidSecretToken');
        expectError(
          await call(url, { credentials: { ...sts, sessionToken: 'STSbadToken' } }),
          401,
          'InvalidSecretToken',
        );
      });

      it('InvalidSecretToken when a long-term key sends a token', async () => {
        const reply = await call(url, {
          credentials: { ...EMULATOR_DEMO_CREDENTIALS, sessionToken: 'STSgoodToken' },
        });
        expectError(reply, 401, 'InvalidSecretToken');
      });
    });
  });

  describe('body', () => {
    it('InvalidParameter.BodyIsEmpty for an empty body', async () => {
      expectError(await call(base, { body: '' }), 400, 'InvalidParameter.BodyIsEmpty');
    });

    it.each(['not json', '{"AppId":', '[]', 'null', '"text"'])(
      'InvalidParameter.Unmarshal for %j',
      async (body) => {
        expectError(await call(base, { body }), 400, 'InvalidParameter.Unmarshal');
      },
    );

    it('answers 413 for a declared Content-Length over 1 MiB without reading it', async () => {
      const { hostname, port } = new URL(base);
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = httpRequest(
          {
            hostname,
            port,
            method: 'POST',
            path: '/?Action=SendUnicast&Version=2023-07-20',
            headers: { 'Content-Length': String(2 * MAX_REQUEST_BODY_BYTES) },
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
              });
              req.destroy();
            });
          },
        );
        req.on('error', reject);
        // Only a sliver of the declared body is ever sent.
        req.write(Buffer.alloc(1024, 'a'));
      });
      expectError(reply, 413, 'InvalidParameter.SizeOverLimit');
      expect(reply.headers.connection).toBe('close');
    });

    it('answers 413 once a chunked body passes 1 MiB', async () => {
      const { hostname, port } = new URL(base);
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = httpRequest(
          {
            hostname,
            port,
            method: 'POST',
            path: '/?Action=SendUnicast&Version=2023-07-20',
            headers: { 'Transfer-Encoding': 'chunked' },
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
              }),
            );
          },
        );
        // The server may close while the tail is still being written; the answer is what counts.
        req.on('error', (e) => (req.writableEnded ? undefined : reject(e)));
        const chunk = Buffer.alloc(64 * 1024, 'a');
        for (let i = 0; i < 18; i++) req.write(chunk);
        req.end();
      });
      expectError(reply, 413, 'InvalidParameter.SizeOverLimit');
      expect((await call(base)).status).toBe(200);
    });

    it('reads a body of exactly 1 MiB (then the message rules answer)', async () => {
      const envelope = JSON.stringify({ ...bodies.SendUnicast(), Message: '' });
      const body = envelope.replace(
        '"Message":""',
        `"Message":"${'a'.repeat(MAX_REQUEST_BODY_BYTES - envelope.length)}"`,
      );
      expect(Buffer.byteLength(body)).toBe(MAX_REQUEST_BODY_BYTES);
      expectError(await call(base, { body }), 400, 'InvalidParameter.SizeOverLimit');
    });
  });

  describe('field rules', () => {
    const requiredFields: [Action, string][] = [
      ...(['AppId', 'From', 'To', 'Binary', 'Message'].map((f) => ['SendUnicast', f]) as [
        Action,
        string,
      ][]),
      ...(['AppId', 'RoomId', 'From', 'To', 'Binary', 'Message'].map((f) => [
        'SendRoomUnicast',
        f,
      ]) as [Action, string][]),
      ...(['AppId', 'RoomId', 'From', 'Binary', 'Message'].map((f) => ['SendBroadcast', f]) as [
        Action,
        string,
      ][]),
      ...(['AppId', 'RoomId', 'From', 'To', 'Binary', 'Message'].map((f) => [
        'BatchSendRoomUnicast',
        f,
      ]) as [Action, string][]),
    ];

    it.each(requiredFields)('%s without %s is InvalidParameter', async (action, field) => {
      const body = bodies[action]() as Record<string, unknown>;
      delete body[field];
      expectError(await call(base, { action, body }), 400, 'InvalidParameter');
      expect(emulator.accepted).toHaveLength(0);
    });

    it.each([
      ['SendUnicast', 'AppId', 123],
      ['SendUnicast', 'From', 1],
      ['SendUnicast', 'To', ['user_1']],
      ['SendUnicast', 'Binary', 'false'],
      ['SendUnicast', 'Message', { text: 'hi' }],
      ['SendRoomUnicast', 'RoomId', 7],
      ['BatchSendRoomUnicast', 'To', 'user_1'],
      ['BatchSendRoomUnicast', 'To', ['user_1', 2]],
    ] as [Action, string, unknown][])(
      '%s with %s = %j is InvalidParameter',
      async (action, field, value) => {
        const body = { ...bodies[action](), [field]: value };
        expectError(await call(base, { action, body }), 400, 'InvalidParameter');
      },
    );

    it.each([
      ['AppId', 'x'.repeat(129)],
      ['AppId', 'app 1'],
      ['Message', 'a\ud800b'],
      ['Message', '\udc00'],
    ])('SendUnicast with %s = %j is InvalidParameter naming it', async (field, value) => {
      const reply = await call(base, { body: { ...bodies.SendUnicast(), [field]: value } });
      expectError(reply, 400, 'InvalidParameter');
      expect(reply.body.ResponseMetadata.Error?.Message).toContain(field);
      expect(emulator.accepted).toHaveLength(0);
    });

    it('InvalidParameter.NotExistAppId for an AppId outside appIds', async () => {
      const known = new RtcOpenApiEmulator({ appIds: [APP_ID] });
      const url = await known.start();
      try {
        expect((await call(url)).status).toBe(200);
        expectError(
          await call(url, { body: { ...bodies.SendUnicast(), AppId: 'otherApp' } }),
          400,
          'InvalidParameter.NotExistAppId',
        );
      } finally {
        await known.stop();
      }
    });

    it('InvalidParameter for an empty AppId', async () => {
      expectError(
        await call(base, { body: { ...bodies.SendUnicast(), AppId: '' } }),
        400,
        'InvalidParameter',
      );
    });

    it('applies the id rule to From (IllegalFrom), 128 characters at most', async () => {
      const ok = 'a-Z_0.9@'.padEnd(128, 'x');
      expect((await call(base, { body: { ...bodies.SendUnicast(), From: ok } })).status).toBe(200);
      for (const From of [`${ok}x`, 'bad id', 'bad/id', '']) {
        expectError(
          await call(base, { body: { ...bodies.SendUnicast(), From } }),
          400,
          'InvalidParameter.IllegalFrom',
        );
      }
    });

    it('applies the id rule to To (IllegalTo)', async () => {
      expect(
        (await call(base, { body: { ...bodies.SendUnicast(), To: 'u'.repeat(128) } })).status,
      ).toBe(200);
      for (const To of ['u'.repeat(129), 'user#1', '']) {
        expectError(
          await call(base, { body: { ...bodies.SendUnicast(), To } }),
          400,
          'InvalidParameter.IllegalTo',
        );
      }
      expectError(
        await call(base, {
          action: 'BatchSendRoomUnicast',
          body: { ...bodies.BatchSendRoomUnicast(), To: ['ok', 'not ok'] },
        }),
        400,
        'InvalidParameter.IllegalTo',
      );
    });

    it('InvalidParameter for an illegal RoomId', async () => {
      expectError(
        await call(base, {
          action: 'SendBroadcast',
          body: { ...bodies.SendBroadcast(), RoomId: 'room 1' },
        }),
        400,
        'InvalidParameter',
      );
    });

    it('InvalidParameter for an empty message, text or binary', async () => {
      for (const Binary of [false, true]) {
        expectError(
          await call(base, { body: { ...bodies.SendUnicast(), Binary, Message: '' } }),
          400,
          'InvalidParameter',
        );
      }
    });

    describe('message size (64 KB = 65,536 bytes)', () => {
      const text = (Message: string): Promise<Reply> =>
        call(base, { body: { ...bodies.SendUnicast(), Message } });
      const binary = (bytes: number): Promise<Reply> =>
        call(base, {
          body: {
            ...bodies.SendUnicast(),
            Binary: true,
            Message: Buffer.alloc(bytes, 7).toString('base64'),
          },
        });

      it('text: 65,536 bytes pass, 65,537 are SizeOverLimit', async () => {
        expect((await text('a'.repeat(65_536))).status).toBe(200);
        expectError(await text('a'.repeat(65_537)), 400, 'InvalidParameter.SizeOverLimit');
      });

      it('text is counted in UTF-8 bytes, not characters (CJK is 3 bytes each)', async () => {
        expect((await text(`${'你'.repeat(21_845)}a`)).status).toBe(200); // 65,536 bytes
        // 21,846 characters but 65,538 bytes.
        expectError(await text('你'.repeat(21_846)), 400, 'InvalidParameter.SizeOverLimit');
      });

      it('binary: the decoded size counts (65,536 pass as 87,384 base64 characters)', async () => {
        expect((await binary(65_536)).status).toBe(200);
        expectError(await binary(65_537), 400, 'InvalidParameter.SizeOverLimit');
      });

      it.each(['not base64!', 'aGk', 'aGk=x', '-_8=', 'aG k='])(
        'binary: %j is not base64 (InvalidParameter)',
        async (Message) => {
          expectError(
            await call(base, { body: { ...bodies.SendUnicast(), Binary: true, Message } }),
            400,
            'InvalidParameter',
          );
        },
      );
    });

    describe('BatchSendRoomUnicast limits', () => {
      const batch = (extra: Record<string, unknown>): Promise<Reply> =>
        call(base, {
          action: 'BatchSendRoomUnicast',
          body: { ...bodies.BatchSendRoomUnicast(), ...extra },
        });
      const users = (n: number): string[] => Array.from({ length: n }, (_, i) => `user_${i}`);

      it('600 recipients pass, 601 are UserCountOverLimit', async () => {
        expect((await batch({ To: users(600) })).status).toBe(200);
        expect(emulator.accepted[0].to).toHaveLength(600);
        expectError(await batch({ To: users(601) }), 400, 'InvalidParameter.UserCountOverLimit');
      });

      it('an empty recipient list is InvalidParameter', async () => {
        expectError(await batch({ To: [] }), 400, 'InvalidParameter');
      });

      it('text: 20,480 bytes pass, 20,481 are SizeOverLimit', async () => {
        expect((await batch({ Message: 'b'.repeat(20_480) })).status).toBe(200);
        expectError(
          await batch({ Message: 'b'.repeat(20_481) }),
          400,
          'InvalidParameter.SizeOverLimit',
        );
      });

      it('binary: 20,480 decoded bytes pass, 20,481 are SizeOverLimit', async () => {
        const b64 = (n: number): string => Buffer.alloc(n, 1).toString('base64');
        expect((await batch({ Binary: true, Message: b64(20_480) })).status).toBe(200);
        expectError(
          await batch({ Binary: true, Message: b64(20_481) }),
          400,
          'InvalidParameter.SizeOverLimit',
        );
      });
    });
  });

  describe('faults', () => {
    it('error: answers the gateway envelope with its default status and CodeN, records nothing', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout' });
      expectError(await call(base), 504, 'InternalServiceTimeout', 100016);
      expect(emulator.accepted).toHaveLength(0);
      expect((await call(base)).status).toBe(200);
    });

    it('error: custom status, CodeN and message; Retry-After; unknown codes default to 500', async () => {
      emulator.injectFault({ type: 'error', code: 'ServiceUnavailableTemp', retryAfterSeconds: 3 });
      emulator.injectFault({
        type: 'error',
        code: 'InternalError',
        status: 502,
        codeN: 1,
        message: 'boom',
      });
      emulator.injectFault({ type: 'error', code: 'InternalError.Something' });

      const first = await call(base);
      expectError(first, 503, 'ServiceUnavailableTemp');
      expect(first.headers['retry-after']).toBe('3');
      const second = await call(base);
      expect(second.status).toBe(502);
      expect(second.body.ResponseMetadata.Error).toEqual({
        Code: 'InternalError',
        CodeN: 1,
        Message: 'boom',
      });
      expect(second.headers['retry-after']).toBeUndefined();
      expectError(await call(base), 500, 'InternalError.Something');
    });

    it('error with deliver: records the message, then answers the error', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout', deliver: true });
      const reply = await call(base);
      expectError(reply, 504, 'InternalServiceTimeout', 100016);
      expect(emulator.accepted).toHaveLength(1);
      expect(emulator.accepted[0].requestId).toBe(reply.body.ResponseMetadata.RequestId);
    });

    it('error with deliver does not record a body that breaks the rules', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout', deliver: true });
      expectError(
        await call(base, { body: { ...bodies.SendUnicast(), To: 'bad id' } }),
        504,
        'InternalServiceTimeout',
        100016,
      );
      expect(emulator.accepted).toHaveLength(0);
    });

    it('times: hits that many calls, then normal answers resume', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError' }, { times: 2 });
      expectError(await call(base), 500, 'InternalError', 100014);
      expectError(await call(base), 500, 'InternalError', 100014);
      expect((await call(base)).status).toBe(200);
    });

    it('times: Infinity lasts until clearFaults()', async () => {
      emulator.injectFault({ type: 'error', code: 'FailToConnect' }, { times: Infinity });
      for (let i = 0; i < 5; i++) expectError(await call(base), 502, 'FailToConnect', 100015);
      emulator.clearFaults();
      expect((await call(base)).status).toBe(200);
    });

    it('action: hits only calls of that action', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError' }, { action: 'SendBroadcast' });
      expect((await call(base)).status).toBe(200);
      expectError(
        await call(base, { action: 'SendBroadcast', body: bodies.SendBroadcast() }),
        500,
        'InternalError',
        100014,
      );
    });

    it('faults are consumed in injection order', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError' });
      emulator.injectFault({ type: 'error', code: 'FailToConnect' });
      expectError(await call(base), 500, 'InternalError', 100014);
      expectError(await call(base), 502, 'FailToConnect', 100015);
    });

    it('apply only after the signature check passes', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError' });
      expectError(await call(base, { sign: false }), 401, 'MissingAuthenticationToken', 100003);
      expectError(await call(base), 500, 'InternalError', 100014);
    });

    it('reset: destroys the connection without answering and records nothing', async () => {
      emulator.injectFault({ type: 'reset' });
      await expect(call(base)).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(emulator.accepted).toHaveLength(0);
      expect(emulator.received).toBe(1);
      expect((await call(base)).status).toBe(200);
    });

    it('reset with deliver: records the message, then destroys the connection', async () => {
      emulator.injectFault({ type: 'reset', deliver: true });
      await expect(call(base)).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(emulator.accepted).toHaveLength(1);
    });

    it('latency: records the message at once, answers after the delay', async () => {
      emulator.injectFault({ type: 'latency', ms: 300 });
      const started = Date.now();
      let acceptedAt = 0;
      emulator.once('accepted', () => (acceptedAt = Date.now()));
      const reply = await call(base);
      const elapsed = Date.now() - started;
      expect(reply.status).toBe(200);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(acceptedAt - started).toBeLessThan(200);
    });

    it('latency: applies to error answers too', async () => {
      emulator.injectFault({ type: 'latency', ms: 100 });
      const started = Date.now();
      expectError(await call(base, { body: '' }), 400, 'InvalidParameter.BodyIsEmpty');
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    });

    it('html-page: a proxy page with the status (502 by default), no envelope, records nothing', async () => {
      emulator.injectFault({ type: 'html-page' });
      emulator.injectFault({ type: 'html-page', status: 503 });
      const page = await call(base);
      expect(page.status).toBe(502);
      expect(page.headers['content-type']).toBe('text/html');
      expect(page.text).toMatch(/^<html>/);
      expect((await call(base)).status).toBe(503);
      expect(emulator.accepted).toHaveLength(0);
      expect((await call(base)).status).toBe(200);
    });

    it('html-page with deliver: records the message, then answers the page', async () => {
      emulator.injectFault({ type: 'html-page', deliver: true });
      expect((await call(base)).status).toBe(502);
      expect(emulator.accepted).toHaveLength(1);
    });

    it('result: a success with that Result (undefined leaves it out); errors stay errors', async () => {
      emulator.injectFault({ type: 'result', result: null });
      emulator.injectFault({ type: 'result', result: undefined });
      emulator.injectFault({ type: 'result', result: 'odd' });
      const nullResult = await call(base);
      expect(nullResult.status).toBe(200);
      expect(nullResult.body).toHaveProperty('Result', null);
      expect(nullResult.body.ResponseMetadata.Error).toBeUndefined();
      expect((await call(base)).body).not.toHaveProperty('Result');
      expect((await call(base)).body.Result).toBe('odd');
      expect(emulator.accepted).toHaveLength(3);

      emulator.injectFault({ type: 'result', result: null });
      expectError(
        await call(base, { body: { ...bodies.SendUnicast(), To: 'bad id' } }),
        400,
        'InvalidParameter.IllegalTo',
      );
    });

    it('reset() drops queued faults', async () => {
      emulator.injectFault({ type: 'error', code: 'InternalError' }, { times: Infinity });
      emulator.reset();
      expect((await call(base)).status).toBe(200);
    });

    it('rejects a bad times value', () => {
      expect(() => emulator.injectFault({ type: 'reset' }, { times: 0 })).toThrow(RangeError);
      expect(() => emulator.injectFault({ type: 'reset' }, { times: 1.5 })).toThrow(RangeError);
      expect(() => emulator.injectFault({ type: 'html-page', status: 99 })).toThrow(RangeError);
    });
  });
});

describe('RtcOpenApiEmulator rate limit', () => {
  // A clock the test moves; aligned on a whole second so "fixed windows" would start at base.
  const base0 = Math.floor(Date.now() / 1000) * 1000;
  let offset = 0;
  const clock = (): number => base0 + offset;
  const emulators: RtcOpenApiEmulator[] = [];

  async function start(
    options: ConstructorParameters<typeof RtcOpenApiEmulator>[0],
  ): Promise<string> {
    const emulator = new RtcOpenApiEmulator({ now: clock, ...options });
    emulators.push(emulator);
    return emulator.start();
  }
  const at = (ms: number): Date => {
    offset = ms;
    return new Date(clock());
  };
  const statuses = async (url: string, n: number, o: CallOptions = {}): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await call(url, { at: new Date(clock()), ...o })).status);
    return out;
  };

  beforeEach(() => (offset = 0));
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((e) => e.stop()));
  });

  it('passes `limit` calls in a second; the next is 429 FlowLimitExceeded.QPSOverLimit', async () => {
    const url = await start({ rateLimitPerSecond: 5 });
    at(0);
    expect(await statuses(url, 5)).toEqual([200, 200, 200, 200, 200]);
    const reply = await call(url, { at: new Date(clock()) });
    expectError(reply, 429, 'FlowLimitExceeded.QPSOverLimit');
    // Counted apart from other requests that were not accepted (a probe of '/', say).
    await call(url, { path: '/nowhere' });
    expect(emulators[0]).toMatchObject({ acceptedCount: 5, throttled: 1, received: 7 });
  });

  it('passes again once the window slid past the earlier calls; throttled calls do not count', async () => {
    const url = await start({ rateLimitPerSecond: 5 });
    at(0);
    await statuses(url, 5);
    at(999);
    expect(await statuses(url, 3)).toEqual([429, 429, 429]);
    at(1000);
    expect(await statuses(url, 6)).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('is a sliding window, not a fixed one: no burst across a second boundary', async () => {
    const url = await start({ rateLimitPerSecond: 5 });
    at(900);
    expect(await statuses(url, 5)).toEqual([200, 200, 200, 200, 200]);
    // A fixed window would start afresh at 1000 and let 5 more through.
    at(1000);
    expect(await statuses(url, 1)).toEqual([429]);
    at(1899);
    expect(await statuses(url, 1)).toEqual([429]);
    at(1900);
    expect(await statuses(url, 1)).toEqual([200]);
  });

  it('counts only calls that passed authentication', async () => {
    const url = await start({ rateLimitPerSecond: 5 });
    at(0);
    expect(await statuses(url, 5, { sign: false })).toEqual([401, 401, 401, 401, 401]);
    expect(await statuses(url, 5)).toEqual([200, 200, 200, 200, 200]);
  });

  it('is shared by the four actions', async () => {
    const url = await start({ rateLimitPerSecond: 4 });
    at(0);
    for (const action of Object.keys(bodies) as Action[]) {
      expect(
        (await call(url, { action, body: bodies[action](), at: new Date(clock()) })).status,
      ).toBe(200);
    }
    expect(await statuses(url, 1)).toEqual([429]);
  });

  it('keys the budget per AppId by default', async () => {
    const url = await start({ rateLimitPerSecond: 2 });
    at(0);
    expect(await statuses(url, 3)).toEqual([200, 200, 429]);
    const other = { body: { ...bodies.SendUnicast(), AppId: 'anotherApp' } };
    expect(await statuses(url, 2, other)).toEqual([200, 200]);
  });

  it("rateLimitKey 'accessKey' shares one budget across AppIds, per access key", async () => {
    const second: Credentials = { accessKeyId: 'AKLTsecond', secretAccessKey: 'secondSecret' };
    const url = await start({
      rateLimitPerSecond: 2,
      rateLimitKey: 'accessKey',
      credentials: [EMULATOR_DEMO_CREDENTIALS, second],
    });
    at(0);
    expect(await statuses(url, 1)).toEqual([200]);
    const other = { body: { ...bodies.SendUnicast(), AppId: 'anotherApp' } };
    expect(await statuses(url, 2, other)).toEqual([200, 429]);
    expect(await statuses(url, 2, { credentials: second })).toEqual([200, 200]);
  });

  it('defaults to 500 per second', async () => {
    const url = await start({});
    at(0);
    const replies = await Promise.all(
      Array.from({ length: 501 }, () => call(url, { at: new Date(clock()) })),
    );
    const counts = replies.reduce<Record<number, number>>(
      (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
      {},
    );
    expect(counts).toEqual({ 200: 500, 429: 1 });
  });

  it('arrivalJitterMs delays each request, before the rate window counts it, by up to N ms', async () => {
    const emulator = new RtcOpenApiEmulator({
      rateLimitPerSecond: 10,
      arrivalJitterMs: 200,
    });
    emulators.push(emulator);
    const url = await emulator.start();
    const sentAt = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 30 }, () => call(url, { at: new Date() })),
    );
    const arrivals = emulator.accepted.map((m) => m.receivedAt.getTime() - sentAt);
    // The window counted them as they arrived: the limit, whatever the order.
    expect(replies.filter((r) => r.status === 200)).toHaveLength(10);
    expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(0);
    // Thirty draws from [0, 200]: spread over far more than a loopback round trip.
    const all = replies.map((r) => r.status);
    expect(all.filter((status) => status === 429)).toHaveLength(20);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(20);
    expect(Math.max(...arrivals)).toBeLessThan(1_000);
  });

  it.each([0, null])('rateLimitPerSecond %p turns the limit off', async (rateLimitPerSecond) => {
    const url = await start({ rateLimitPerSecond });
    at(0);
    expect(new Set(await statuses(url, 20))).toEqual(new Set([200]));
  });

  it('reset() clears the windows', async () => {
    const url = await start({ rateLimitPerSecond: 1 });
    at(0);
    expect(await statuses(url, 2)).toEqual([200, 429]);
    emulators[0].reset();
    expect(await statuses(url, 1)).toEqual([200]);
  });
});

describe('RtcOpenApiEmulator lifecycle and records', () => {
  it('url throws before start; start is idempotent; the emulator restarts after stop', async () => {
    const emulator = new RtcOpenApiEmulator();
    expect(() => emulator.url).toThrow(/not started/);
    const first = await emulator.start();
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await emulator.start()).toBe(first);
    expect(emulator.url).toBe(first);
    await emulator.stop();
    await emulator.stop();
    expect(() => emulator.url).toThrow(/not started/);
    const second = await emulator.start();
    expect((await call(second)).status).toBe(200);
    await emulator.stop();
  });

  it('rejects start() when the port is taken', async () => {
    const a = new RtcOpenApiEmulator();
    const port = Number(new URL(await a.start()).port);
    const b = new RtcOpenApiEmulator({ port });
    await expect(b.start()).rejects.toThrow(/EADDRINUSE/);
    await a.stop();
    await b.stop();
  });

  it('stop() resolves promptly with idle keep-alive sockets open', async () => {
    const emulator = new RtcOpenApiEmulator();
    const url = await emulator.start();
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      const replies = await Promise.all([1, 2, 3].map(() => call(url, { agent })));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(Object.values(agent.freeSockets).flat().length).toBeGreaterThan(0);
      const started = Date.now();
      await emulator.stop();
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      agent.destroy();
    }
  });

  it('stop() resolves promptly with a call held by a latency fault', async () => {
    const emulator = new RtcOpenApiEmulator();
    const url = await emulator.start();
    emulator.injectFault({ type: 'latency', ms: 30_000 });
    const pending = call(url);
    await once(emulator, 'accepted');
    const started = Date.now();
    await emulator.stop();
    expect(Date.now() - started).toBeLessThan(500);
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('recordLimit keeps the newest messages; acceptedCount keeps counting', async () => {
    const emulator = new RtcOpenApiEmulator({ recordLimit: 2 });
    const url = await emulator.start();
    try {
      for (const Message of ['one', 'two', 'three']) {
        await call(url, { body: { ...bodies.SendUnicast(), Message } });
      }
      expect(emulator.accepted.map((m) => m.message)).toEqual(['two', 'three']);
      expect(emulator.acceptedCount).toBe(3);
      emulator.reset();
      expect(emulator.accepted).toHaveLength(0);
      expect(emulator.acceptedCount).toBe(0);
      expect(emulator.received).toBe(0);
    } finally {
      await emulator.stop();
    }
  });

  it('recordLimit 0 records nothing but still emits accepted', async () => {
    const emulator = new RtcOpenApiEmulator({ recordLimit: 0 });
    const url = await emulator.start();
    try {
      const event = once(emulator, 'accepted');
      await call(url);
      expect((await event)[0]).toMatchObject({ message: 'hello' });
      expect(emulator.accepted).toHaveLength(0);
      expect(emulator.acceptedCount).toBe(1);
    } finally {
      await emulator.stop();
    }
  });

  it('rejects options it cannot honour', () => {
    expect(() => new RtcOpenApiEmulator({ rateLimitPerSecond: -1 })).toThrow(RangeError);
    expect(() => new RtcOpenApiEmulator({ rateLimitPerSecond: 2.5 })).toThrow(RangeError);
    expect(() => new RtcOpenApiEmulator({ port: 70_000 })).toThrow(RangeError);
    expect(() => new RtcOpenApiEmulator({ recordLimit: -1 })).toThrow(RangeError);
    expect(
      () => new RtcOpenApiEmulator({ credentials: [{ accessKeyId: 'a', secretAccessKey: '' }] }),
    ).toThrow(TypeError);
  });
});
