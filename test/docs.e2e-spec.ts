import { getMetadataStorage, ValidationTypes } from 'class-validator';
import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { FROM_PROPERTY } from '../src/docs/api-properties';
import { SendFanOutRequest, SendUnicastRequest } from '../src/messages/message.requests';
import {
  RoomIdParams,
  SendRoomBatchRequest,
  SendRoomBroadcastRequest,
  SendRoomUnicastRequest,
} from '../src/rooms/room.requests';
import {
  API_KEY,
  AppUnderTest,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

interface Schema {
  readonly type?: string;
  readonly properties?: Record<string, Schema & { example?: unknown; maxItems?: number }>;
  readonly required?: string[];
  readonly $ref?: string;
}
interface Operation {
  readonly security?: Record<string, string[]>[];
  readonly parameters?: { name: string; in: string; schema: Schema & { example?: unknown } }[];
  readonly requestBody?: { content: { 'application/json': { schema: Schema } } };
  readonly responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: {
        'application/json': {
          schema?: Schema;
          examples?: Record<string, { value: Record<string, unknown> }>;
        };
      };
    }
  >;
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<string, unknown>;
  };
}

const SINGLE = ['200', '400', '401', '403', '413', '429', '502', '503', '504'];
const LIST = ['200', '400', '401', '403', '413'];

/** Every messaging endpoint, what it may answer, and the class its body is validated with. */
const ENDPOINTS = [
  { path: '/v1/messages/unicast', statuses: SINGLE, body: SendUnicastRequest },
  { path: '/v1/messages/fan-out', statuses: LIST, body: SendFanOutRequest },
  { path: '/v1/rooms/{roomId}/messages', statuses: SINGLE, body: SendRoomBroadcastRequest },
  { path: '/v1/rooms/{roomId}/messages/unicast', statuses: SINGLE, body: SendRoomUnicastRequest },
  { path: '/v1/rooms/{roomId}/messages/batch', statuses: LIST, body: SendRoomBatchRequest },
] as const;

/** What the validation pipe checks of `target`: each property, and whether it may be absent. */
function validatedProperties(target: new () => object): Map<string, boolean> {
  const properties = new Map<string, boolean>();
  for (const metadata of getMetadataStorage().getTargetValidationMetadatas(
    target,
    '',
    true,
    false,
  )) {
    const optional = metadata.type === ValidationTypes.CONDITIONAL_VALIDATION;
    properties.set(
      metadata.propertyName,
      optional || (properties.get(metadata.propertyName) ?? false),
    );
  }
  return properties;
}

describe('API docs: /docs and /docs-json', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  let document: Document;

  const schemaOf = (ref: Schema): Schema =>
    document.components.schemas[ref.$ref!.split('/').pop()!];

  beforeAll(async () => {
    emulator = await startEmulator();
    // The documented `from` is an example of an allowed override.
    subject = await startAppUnderTest(emulator.url, sent, {
      RTC_ALLOWED_FROM: String(FROM_PROPERTY.example),
    });
    document = (await request(subject.server).get('/docs-json').expect(200)).body as Document;
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  it('serves the UI at /docs without an API key', async () => {
    const response = await request(subject.server).get('/docs').expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('swagger-ui');
  });

  it('shows the API key as the security scheme (x-api-key header)', () => {
    expect(document.components.securitySchemes).toEqual({
      'api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
  });

  /** The fan-out job routes (documented with or without REDIS_URL; 503 without it). */
  const FAN_OUT_JOB_PATHS = [
    '/v1/fan-outs',
    '/v1/fan-outs/{id}',
    '/v1/fan-outs/{id}/events',
    '/v1/fan-outs/{id}/results',
  ];

  it('lists every endpoint, the messaging ones with the API key, the probes without', () => {
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        ...ENDPOINTS.map((endpoint) => endpoint.path),
        '/v1/tokens/login',
        '/v1/tokens/room',
        ...FAN_OUT_JOB_PATHS,
        // What RTC calls (no API key: test/rtc-inbound.e2e-spec.ts checks them), and recent events.
        '/v1/rtc/events',
        '/v1/rtc/client-messages',
        '/v1/rtc/events/recent',
        '/health/live',
        '/health/ready',
      ].sort(),
    );
    for (const path of FAN_OUT_JOB_PATHS) {
      for (const operation of Object.values(document.paths[path])) {
        expect(operation.security).toEqual([{ 'api-key': [] }]);
      }
    }
    for (const { path } of ENDPOINTS) {
      expect(Object.keys(document.paths[path])).toEqual(['post']);
      expect(document.paths[path].post.security).toEqual([{ 'api-key': [] }]);
    }
    expect(document.paths['/health/ready'].get.security).toBeUndefined();
  });

  it.each(ENDPOINTS)(
    '$path documents each status it answers, errors with examples',
    ({ path, statuses }) => {
      const { responses } = document.paths[path].post;
      expect(Object.keys(responses).sort()).toEqual([...statuses].sort());
      for (const status of statuses.filter((s) => s !== '200')) {
        const content = responses[status].content!['application/json'];
        expect(schemaOf(content.schema!)).toBe(document.components.schemas.ErrorBodyResponse);
        const examples = Object.values(content.examples ?? {});
        expect(examples.length).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(value.statusCode).toBe(Number(status));
          // "unknown" only ever comes with 502 or 504.
          if (value.outcome === 'unknown') expect(['502', '504']).toContain(status);
        }
      }
      if (statuses.includes('429')) expect(responses['429'].headers).toHaveProperty('Retry-After');
    },
  );

  it('covers 400, 401, 403, 413, 429, 502, 503 and 504 between the endpoints', () => {
    const documented = new Set(
      ENDPOINTS.flatMap(({ path }) => Object.keys(document.paths[path].post.responses)),
    );
    for (const status of ['400', '401', '403', '413', '429', '502', '503', '504']) {
      expect(documented).toContain(status);
    }
  });

  it.each(ENDPOINTS)(
    '$path documents exactly the fields its body is validated with',
    ({ path, body }) => {
      const schema = schemaOf(
        document.paths[path].post.requestBody!.content['application/json'].schema,
      );
      const validated = validatedProperties(body);

      expect(Object.keys(schema.properties!).sort()).toEqual([...validated.keys()].sort());
      const required = [...validated].filter(([, optional]) => !optional).map(([name]) => name);
      expect([...(schema.required ?? [])].sort()).toEqual(required.sort());
      for (const [name, property] of Object.entries(schema.properties!)) {
        expect({ name, example: property.example }).toEqual({ name, example: expect.anything() });
      }
    },
  );

  it('documents the room id as it is validated', () => {
    const [roomId] = document.paths['/v1/rooms/{roomId}/messages'].post.parameters!;
    expect(roomId).toMatchObject({ name: 'roomId', in: 'path', required: true });
    expect([...validatedProperties(RoomIdParams).keys()]).toEqual(['roomId']);
    expect(roomId.schema.example).toBeDefined();
  });

  it('sets the recipient lists to FAN_OUT_MAX_RECIPIENTS', () => {
    for (const path of ['/v1/messages/fan-out', '/v1/rooms/{roomId}/messages/batch']) {
      const schema = schemaOf(
        document.paths[path].post.requestBody!.content['application/json'].schema,
      );
      expect(schema.properties!.to).toMatchObject({ type: 'array', minItems: 1, maxItems: 10_000 });
    }
  });

  it.each(ENDPOINTS)('$path accepts the example it documents', async ({ path }) => {
    const operation = document.paths[path].post;
    const schema = schemaOf(operation.requestBody!.content['application/json'].schema);
    const body = Object.fromEntries(
      Object.entries(schema.properties!).map(([name, property]) => [name, property.example]),
    );
    const url = path.replace('{roomId}', String(operation.parameters?.[0]?.schema.example));

    // The examples name AppId 661e…; this emulator knows the test app's AppId only.
    const { appId: _, ...withDefaultAppId } = body;
    await request(subject.server)
      .post(url)
      .set('x-api-key', API_KEY)
      .send(withDefaultAppId)
      .expect(200);

    expect(emulator.received).toBeGreaterThan(0);
    expect(emulator.accepted.length).toBe(emulator.received);
  });
});
