import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import {
  DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES,
  DEFAULT_EVENT_MAX_BODY_BYTES,
  DEFAULT_INBOUND_DEADLINE_MS,
} from 'nestjs-volcengine-rtc';
import { RTC_CLIENT_MESSAGES_PATH, RTC_EVENTS_PATH } from '../rtc-inbound/rtc-inbound.constants';

/*
 * The two routes RTC calls are served by the library's `RtcInboundModule` (middleware, not
 * controllers), so Swagger cannot find them: they are described here, by hand, and added to the
 * document. test/rtc-inbound.e2e-spec.ts checks them, and sends the documented event to its route.
 */

const message = (example: string) => ({
  type: 'object',
  properties: { message: { type: 'string', example } },
  required: ['message'],
});

const answer = (description: string, example: string): ResponseObject => ({
  description,
  content: { 'application/json': { schema: message(example) } },
});

/** Known-answer vector 1 of the callback signature (Volcengine docs 6348/293101). */
export const EVENT_EXAMPLE = {
  EventType: 'UserJoinRoom',
  EventData: '{"RoomId":"room1","UserId":"alice","Timestamp":1733500000000}',
  EventTime: '2026-12-07T00:00:00Z',
  EventId: 'c1d5e7f0a9b84c2e9d3f',
  AppId: '5f0c3a1b2d4e6f708192a3b4',
  Version: '2020-12-01',
  Signature: 'af2def5c53ea7f51244fcbdf27a40847acedc418c7c2e305e9b3c251d67a00ee',
  Nonce: '4821',
};

const stringField = (description: string) => ({ type: 'string', description });

const EVENTS_OPERATION: OperationObject = {
  tags: ['rtc'],
  summary: 'Receive an RTC event callback (the callback URL set in the RTC console)',
  description: `RTC POSTs each event it reports here (users, rooms, streams, recordings). No \`x-api-key\`: RTC cannot send one, the signature (SHA-256 over the sorted fields and \`RTC_CALLBACK_SECRET\`, or \`RTC_CALLBACK_SECRET_SECONDARY\` during a rotation) is the authentication. Each \`EventId\` is handled once (in Redis with \`REDIS_URL\`, across instances): a duplicate is answered 200 without running again, a delivery that arrives while the first is running waits for its outcome. Refusals in this order: size (413, over ${DEFAULT_EVENT_MAX_BODY_BYTES} bytes, before the body is read), shape (400 naming the field), signature (401), AppId (403). A handler still running after ${DEFAULT_INBOUND_DEADLINE_MS} ms gets a 503 and keeps running; RTC's retry then finds it done.`,
  security: [],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            EventType: stringField('e.g. `UserJoinRoom`'),
            EventData: stringField("the event's content: a JSON document inside a string"),
            EventTime: stringField('ISO-8601'),
            EventId: stringField('the key events are de-duplicated by'),
            AppId: stringField('must be `RTC_APP_ID`'),
            Version: stringField('e.g. `2020-12-01`'),
            Signature: stringField('64 lowercase hex characters'),
            Nonce: stringField('4 random characters'),
          },
          required: Object.keys(EVENT_EXAMPLE),
        },
        example: EVENT_EXAMPLE,
      },
    },
  },
  responses: {
    '200': { description: 'Handled, now or before (a duplicate). Empty body.' },
    '400': answer('A field is missing or not a string; the message names it.', 'Nonce is missing'),
    '401': answer('The signature does not match; says only that.', 'invalid signature'),
    '403': answer('An event of another AppId.', 'AppId is not one this server handles'),
    '413': answer(
      'The body is over the limit.',
      `the body must be at most ${DEFAULT_EVENT_MAX_BODY_BYTES} bytes`,
    ),
    '500': answer(
      'The handler failed; RTC retries.',
      'the delivery could not be handled; retry later',
    ),
    '503': answer(
      '`RTC_CALLBACK_SECRET` is not set, or the handler is still running (RTC retries).',
      'RTC event callbacks are not configured: no callback secret is set',
    ),
  },
};

const CLIENT_MESSAGES_OPERATION: OperationObject = {
  tags: ['rtc'],
  summary: 'Receive a message a client sent to the server (the URL of `setServerParams`)',
  description: `RTC forwards each \`sendServerMessage\` / \`sendServerBinaryMessage\` of a client here, as JSON without a \`Content-Type\` (the body is parsed as JSON whatever the header says). No \`x-api-key\`: \`signature\` must be the sender's RTC login (or room) token for \`RTC_APP_ID\`, made with \`RTC_APP_KEY\` (\`POST /v1/tokens/login\`); it proves the sender. The demo echoes the message back to its sender (\`SendUnicast\` from \`RTC_FROM\`, through the budget) unless \`RTC_ECHO_CLIENT_MESSAGES=false\`, and answers at once, without waiting for the echo: the answer's body is the client's acknowledgement. Refusals in this order: size (413, over ${DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES} bytes, before the body is read), shape (400 naming the field: an empty message, a message over 64 KB), token (401).`,
  security: [],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            message: stringField('the text, or base64 bytes when `binary`; at most 64 KB'),
            binary: { type: 'boolean' },
            signature: stringField("the sender's RTC login token"),
          },
          required: ['message', 'binary', 'signature'],
        },
        example: { message: 'hello', binary: false, signature: '001661e000000000000000543cf…' },
      },
    },
  },
  responses: {
    '200': {
      description: "Received: the client's acknowledgement.",
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              received: { type: 'boolean', example: true },
              bytes: {
                type: 'integer',
                description: 'the message size (decoded, if binary)',
                example: 5,
              },
            },
            required: ['received', 'bytes'],
          },
        },
      },
    },
    '400': answer(
      'A field is missing or broken; the message names it.',
      'message must not be empty',
    ),
    '401': answer(
      'The token is not valid for this app (forged, expired, of another AppId); says only that.',
      'invalid token',
    ),
    '413': answer(
      'The body is over the limit.',
      `the body must be at most ${DEFAULT_CLIENT_MESSAGE_MAX_BODY_BYTES} bytes`,
    ),
    '500': answer('The handler failed.', 'the delivery could not be handled; retry later'),
    '503': answer(
      '`RTC_APP_KEY` is not set: no token can be checked.',
      'RTC client messages are not configured: verifying their tokens needs the AppKey',
    ),
  },
};

/** Adds the routes RTC calls, which Swagger cannot see, to `document`. */
export function withRtcInboundRoutes(document: OpenAPIObject): OpenAPIObject {
  document.paths[RTC_EVENTS_PATH] = { ...document.paths[RTC_EVENTS_PATH], post: EVENTS_OPERATION };
  document.paths[RTC_CLIENT_MESSAGES_PATH] = {
    ...document.paths[RTC_CLIENT_MESSAGES_PATH],
    post: CLIENT_MESSAGES_OPERATION,
  };
  return document;
}
