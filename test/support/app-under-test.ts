import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import { CreateAppOptions, createApp } from '../../src/bootstrap';

export const API_KEY = 'e2e-key';
export const OTHER_API_KEY = 'e2e-other-key';
export const APP_ID = 'e2e-app';
export const FROM = 'e2e_bot';

/** Every line the app logged, as text, so tests can check what logs never contain. */
export class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...parts: unknown[]): void => this.record(parts);
  error = (...parts: unknown[]): void => this.record(parts);
  warn = (...parts: unknown[]): void => this.record(parts);
  debug = (...parts: unknown[]): void => this.record(parts);
  verbose = (...parts: unknown[]): void => this.record(parts);
  fatal = (...parts: unknown[]): void => this.record(parts);

  private record(parts: unknown[]): void {
    this.lines.push(
      parts
        .map((part) =>
          part instanceof Error
            ? `${part.name}: ${part.message}\n${part.stack}`
            : JSON.stringify(part),
        )
        .join(' '),
    );
  }
}

/** What the app sent back: every body and header, of every test of a file. */
export interface SentResponses {
  readonly bodies: string[];
  readonly headers: string[];
}

/** Copies each response's headers and body as the app writes them, whatever the route. */
function recordResponses(server: Server, sent: SentResponses): void {
  server.prependListener('request', (_request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    const write = response.write.bind(response);
    const end = response.end.bind(response);
    const keep = (chunk: unknown): void => {
      if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    response.write = ((chunk: unknown, ...rest: never[]) => {
      keep(chunk);
      return write(chunk, ...rest);
    }) as typeof response.write;
    response.end = ((chunk?: unknown, ...rest: never[]) => {
      if (typeof chunk !== 'function') keep(chunk);
      sent.headers.push(JSON.stringify(response.getHeaders()));
      sent.bodies.push(Buffer.concat(chunks).toString('utf8'));
      return end(chunk as string, ...rest);
    }) as typeof response.end;
  });
}

export interface AppUnderTest {
  readonly app: INestApplication;
  readonly server: Server;
  /** What Nest and the library logged (Nest's logger). */
  readonly logger: RecordingLogger;
  /** The request log: pino's lines (one JSON object each), in order. */
  readonly requestLog: string[];
}

/**
 * The demo app as `main.ts` builds it (the same `createApp`), configured in-process to talk to
 * `endpoint` with the emulator's demo credentials unless `env` says otherwise.
 */
export async function startAppUnderTest(
  endpoint: string,
  sent: SentResponses,
  env: CreateAppOptions['env'] = {},
): Promise<AppUnderTest> {
  const logger = new RecordingLogger();
  const requestLog: string[] = [];
  const app = await createApp({
    env: {
      VOLC_ACCESSKEY: EMULATOR_DEMO_CREDENTIALS.accessKeyId,
      VOLC_SECRETKEY: EMULATOR_DEMO_CREDENTIALS.secretAccessKey,
      RTC_APP_ID: APP_ID,
      RTC_FROM: FROM,
      RTC_ENDPOINT: endpoint,
      API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
      ...env,
    },
    logger,
    logDestination: { write: (line: string) => void requestLog.push(line) },
    shutdownHooks: false,
  });
  await app.init();
  const server: Server = app.getHttpServer();
  recordResponses(server, sent);
  return { app, server, logger, requestLog };
}

/** A JSON POST to the app under test, with `x-api-key: key`, or no such header when `key` is null. */
export function postJson(
  subject: AppUnderTest,
  path: string,
  body: unknown,
  key: string | null = API_KEY,
) {
  const call = request(subject.server).post(path);
  if (key !== null) call.set('x-api-key', key);
  return call.send(body as object);
}

/**
 * `POST /v1/fan-outs` as `application/x-ndjson`: the job's line (`job`, without `to`), then each id
 * of `to` as a JSON string on a line of its own. A JSON body lists at most 10,000 ids.
 */
export function postFanOutJobNdjson(
  subject: AppUnderTest,
  job: object,
  to: readonly string[],
  key: string = API_KEY,
) {
  const body = [JSON.stringify(job), ...to.map((id) => JSON.stringify(id))].join('\n') + '\n';
  return request(subject.server)
    .post('/v1/fan-outs')
    .set('x-api-key', key)
    .set('content-type', 'application/x-ndjson')
    .send(body);
}

/** An emulator that takes only `APP_ID`, like an account with one RTC app. */
export async function startEmulator(): Promise<RtcOpenApiEmulator> {
  const emulator = new RtcOpenApiEmulator({ appIds: [APP_ID, 'other-app'] });
  await emulator.start();
  return emulator;
}

/** A URL where nothing listens: an emulator's, once it stopped. */
export async function deadEndpoint(): Promise<string> {
  const emulator = new RtcOpenApiEmulator();
  const url = await emulator.start();
  await emulator.stop();
  return url;
}

/** A local port where nothing listens (one the OS just handed out and took back). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A supertest parser that reads a streamed answer (SSE, NDJSON) to its end, as text:
 * `request(server).get(path).buffer(true).parse(readText)`.
 */
export function readText(
  res: request.Response,
  callback: (error: Error | null, body: string) => void,
): void {
  // superagent hands the raw response stream to a custom parser, typed as its Response.
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('end', () => callback(null, text));
}
