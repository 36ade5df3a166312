import { Test, TestingModule } from '@nestjs/testing';
import { answerWith, StubUpstream } from '../../test/stub-upstream';
import {
  RtcError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
} from '../errors';
import { RoomMessagingService } from '../room/room-messaging.service';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { UnicastService } from '../unicast/unicast.service';

/** `ResponseMetadata` as the gateway sends it, with `extra` over it. */
const metadata = (extra: object = {}) => ({
  RequestId: 'req-odd',
  Action: 'SendUnicast',
  Version: '2023-07-20',
  Service: 'rtc',
  Region: 'cn-north-1',
  ...extra,
});
const failed = (Error: unknown, extra: object = {}) => ({
  ResponseMetadata: metadata({ Error, ...extra }),
});
const HTML = { 'Content-Type': 'text/html' };

type Expected =
  | { readonly sent: { readonly requestId: string; readonly message?: string } }
  | {
      readonly error: abstract new (...args: never[]) => RtcError;
      readonly outcome: 'unknown' | 'not_delivered';
      readonly fields?: object;
    };

interface Row {
  readonly answer: string;
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  readonly expected: Expected;
}

const unknown = (fields?: object): Expected => ({
  error: RtcUnknownOutcomeError,
  outcome: 'unknown',
  fields,
});

/**
 * Answers that are not the OpenAPI envelope the docs describe, or not quite: each must end as a
 * success or as a typed RtcError with an outcome, never as a TypeError. Whether the message may
 * have been accepted follows the status: 500, 502 and 504 may come after the gateway forwarded the
 * call, except a 502 whose envelope says `FailToConnect` (the gateway never reached the service).
 */
const ROWS: readonly Row[] = [
  {
    answer: "a load balancer's HTML 502 page",
    status: 502,
    body: '<html><body>502 Bad Gateway</body></html>',
    headers: HTML,
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'an empty 502',
    status: 502,
    body: '',
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: "the gateway's 502 FailToConnect envelope",
    status: 502,
    body: failed({ Code: 'FailToConnect', CodeN: 100015, Message: 'no backend' }),
    expected: {
      error: RtcUpstreamError,
      outcome: 'not_delivered',
      fields: { status: 502, code: 'FailToConnect', codeN: 100015, requestId: 'req-odd' },
    },
  },
  {
    answer: 'a 502 envelope with another code',
    status: 502,
    body: failed({ Code: 'InternalError', Message: 'x' }),
    expected: unknown({
      reason: 'upstream_error',
      upstream: { status: 502, code: 'InternalError' },
    }),
  },
  {
    answer: 'a 502 envelope without an Error',
    status: 502,
    body: { ResponseMetadata: metadata() },
    expected: unknown({ reason: 'upstream_error', upstream: { status: 502, code: 'HTTP502' } }),
  },
  {
    answer: 'an HTML 503 page (nothing behind the proxy)',
    status: 503,
    body: '<html>Service Unavailable</html>',
    headers: HTML,
    expected: {
      error: RtcTransportError,
      outcome: 'not_delivered',
      fields: { failure: 'bad_response' },
    },
  },
  {
    answer: 'an HTML 504 page',
    status: 504,
    body: '<html>Gateway Timeout</html>',
    headers: HTML,
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'a numeric Error.Code on a 200',
    status: 200,
    body: failed({ Code: 100010, Message: 'odd' }),
    expected: unknown({ upstream: { status: 200, code: '100010', upstreamMessage: 'odd' } }),
  },
  {
    answer: 'a numeric Error.Code on a 401',
    status: 401,
    body: failed({ Code: 100010, CodeN: 100010 }),
    expected: {
      error: RtcUpstreamError,
      outcome: 'not_delivered',
      fields: { status: 401, code: '100010', codeN: 100010, requestId: 'req-odd' },
    },
  },
  {
    answer: 'a numeric Error.Code on a 500',
    status: 500,
    body: failed({ Code: 100014 }),
    expected: unknown({ reason: 'upstream_error', upstream: { status: 500, code: '100014' } }),
  },
  {
    answer: 'a numeric Error.Code on a 429',
    status: 429,
    body: failed({ Code: 429 }),
    expected: {
      error: RtcRateLimitedError,
      outcome: 'not_delivered',
      fields: { upstream: { status: 429, code: '429' } },
    },
  },
  {
    answer: 'an Error of the wrong types (Code null, CodeN a string, Message a number)',
    status: 400,
    body: failed({ Code: null, CodeN: '100002', Message: 5 }),
    expected: {
      error: RtcUpstreamError,
      outcome: 'not_delivered',
      fields: { code: 'HTTP400', codeN: undefined, upstreamMessage: undefined },
    },
  },
  {
    answer: 'an Error that is a string, on a 200',
    status: 200,
    body: failed('boom'),
    expected: unknown({ upstream: { status: 200, code: 'HTTP200', upstreamMessage: 'boom' } }),
  },
  {
    answer: 'an Error that is an array, on a 400',
    status: 400,
    body: failed([{ Code: 'InvalidParameter' }]),
    expected: { error: RtcUpstreamError, outcome: 'not_delivered', fields: { code: 'HTTP400' } },
  },
  {
    answer: 'a non-string RequestId on a refusal',
    status: 400,
    body: failed({ Code: 'InvalidParameter', Message: 'x' }, { RequestId: { id: 7 } }),
    expected: {
      error: RtcUpstreamError,
      outcome: 'not_delivered',
      fields: { code: 'InvalidParameter', requestId: undefined },
    },
  },
  {
    answer: 'Result null on a 200',
    status: 200,
    body: { ResponseMetadata: metadata(), Result: null },
    expected: { sent: { requestId: 'req-odd', message: undefined } },
  },
  {
    answer: 'no Result on a 200',
    status: 200,
    body: { ResponseMetadata: metadata() },
    expected: { sent: { requestId: 'req-odd', message: undefined } },
  },
  {
    answer: 'a string Result on a 200',
    status: 200,
    body: { ResponseMetadata: metadata(), Result: 'Success' },
    expected: { sent: { requestId: 'req-odd', message: undefined } },
  },
  {
    answer: 'a numeric Result.Message on a 200',
    status: 200,
    body: { ResponseMetadata: metadata(), Result: { Message: 1 } },
    expected: { sent: { requestId: 'req-odd', message: undefined } },
  },
  {
    answer: 'Error null on a 200 (decoded as absent, as the Go SDK does)',
    status: 200,
    body: { ResponseMetadata: metadata({ Error: null }), Result: { Message: 'Success' } },
    expected: { sent: { requestId: 'req-odd', message: 'Success' } },
  },
  {
    answer: 'a numeric RequestId on a 200',
    status: 200,
    body: { ResponseMetadata: metadata({ RequestId: 12345 }), Result: { Message: 'Success' } },
    expected: { sent: { requestId: '', message: 'Success' } },
  },
  {
    answer: 'no RequestId on a 200',
    status: 200,
    body: { ResponseMetadata: { Action: 'SendUnicast' }, Result: { Message: 'Success' } },
    expected: { sent: { requestId: '', message: 'Success' } },
  },
  {
    answer: '{"Result":null} without ResponseMetadata on a 200',
    status: 200,
    body: { Result: null },
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'ResponseMetadata that is an array, on a 200',
    status: 200,
    body: { ResponseMetadata: [], Result: { Message: 'Success' } },
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'ResponseMetadata that is a string, on a 200',
    status: 200,
    body: { ResponseMetadata: 'ok', Result: { Message: 'Success' } },
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'a body that is not JSON, on a 200',
    status: 200,
    body: 'OK',
    headers: { 'Content-Type': 'text/plain' },
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'truncated JSON on a 200',
    status: 200,
    body: '{"ResponseMetadata":{"RequestId":"req-odd"',
    expected: unknown({ reason: 'bad_response' }),
  },
  {
    answer: 'an empty 200',
    status: 200,
    body: '',
    expected: unknown({ reason: 'bad_response' }),
  },
  { answer: 'JSON null on a 200', status: 200, body: 'null', expected: unknown() },
  { answer: 'a JSON array on a 200', status: 200, body: '[]', expected: unknown() },
  { answer: 'a JSON number on a 200', status: 200, body: '42', expected: unknown() },
  {
    answer: 'a JSON array on a 400',
    status: 400,
    body: '[{"ResponseMetadata":{}}]',
    expected: {
      error: RtcTransportError,
      outcome: 'not_delivered',
      fields: { failure: 'bad_response' },
    },
  },
];

describe('unexpected answers, through both services', () => {
  const upstream = new StubUpstream();
  let moduleRef: TestingModule;
  let unicast: UnicastService;
  let rooms: RoomMessagingService;

  beforeAll(async () => {
    const endpoint = await upstream.start();
    moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({
          accessKeyId: 'AKLTodd',
          secretAccessKey: 'odd-answers-secret',
          appId: 'app',
          from: 'bot',
          endpoint,
          rateLimit: false,
          // One attempt: each row checks how one answer is read, not the retry policy.
          retry: { maxAttempts: 1 },
        }),
      ],
    }).compile();
    unicast = moduleRef.get(UnicastService);
    rooms = moduleRef.get(RoomMessagingService);
  });

  afterAll(async () => {
    await moduleRef.close();
    await upstream.stop();
  });

  const sends = {
    'UnicastService.send': () => unicast.send({ to: 'user_1', message: 'hi' }),
    'RoomMessagingService.broadcast': () => rooms.broadcast('room_1', 'hi'),
    'RoomMessagingService.sendToUser': () => rooms.sendToUser('room_1', 'user_1', 'hi'),
  };

  describe.each(Object.entries(sends))('%s', (_name, send) => {
    it.each(ROWS.map((row) => [row.answer, row] as const))('%s', async (_answer, row) => {
      upstream.handler = answerWith(row.status, row.body, row.headers);
      const settled = await send().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );

      if ('sent' in row.expected) {
        expect(settled).toEqual({ value: row.expected.sent });
        return;
      }
      expect(settled).toHaveProperty('error');
      const { error } = settled as { error: unknown };
      expect(error).toBeInstanceOf(row.expected.error);
      expect(error).toMatchObject({ outcome: row.expected.outcome, ...row.expected.fields });
    });
  });
});
