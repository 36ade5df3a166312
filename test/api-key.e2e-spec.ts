import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { RtcOpenApiEmulator } from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  AppUnderTest,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

/** Every route that sends: each needs a key before anything reads its body. */
const SENDING_PATHS = [
  '/v1/messages/unicast',
  '/v1/messages/fan-out',
  '/v1/rooms/match_17/messages',
  '/v1/rooms/match_17/messages/unicast',
  '/v1/rooms/match_17/messages/batch',
];

/** Over the JSON limit (1,572,144 bytes at the default FAN_OUT_MAX_RECIPIENTS). */
const OVERSIZED = JSON.stringify({ to: 'user_42', message: 'a'.repeat(2 * 1024 * 1024) });
const MALFORMED = '{bad';

const UNAUTHORIZED = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'a valid x-api-key header is required',
};
/** The same refusal of a request that sends: it says that nothing was sent. */
const UNAUTHORIZED_SEND = { ...UNAUTHORIZED, outcome: 'not_delivered' };

/** What answers a POST whose headers promise `contentLength` bytes, of which only `sent` come. */
function answerToUnfinishedBody(
  subject: AppUnderTest,
  path: string,
  contentLength: number,
  sent: string,
): Promise<{ status: number; body: unknown }> {
  const { port } = subject.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const call = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(contentLength) },
    });
    call.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        // The rest of the body never comes: drop the connection rather than wait for it.
        call.destroy();
        resolve({
          status: response.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        });
      });
    });
    call.on('error', reject);
    call.write(sent);
  });
}

describe('the API key is checked before the body is read', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;

  /** A raw JSON POST, with `x-api-key: key`, or no such header when `key` is null. */
  const postRaw = (path: string, raw: string, key: string | null) => {
    const call = request(subject.server).post(path).set('content-type', 'application/json');
    if (key !== null) call.set('x-api-key', key);
    return call.send(raw);
  };

  beforeAll(async () => {
    emulator = await startEmulator();
    subject = await startAppUnderTest(emulator.url, sent);
    // Listening, so a raw request can reach it (supertest uses the same address).
    await subject.app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await subject?.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  describe.each(SENDING_PATHS)('POST %s', (path) => {
    it.each([
      ['without x-api-key', null],
      ['with a wrong key', 'wrong-key'],
    ])('answers 401 %s to an oversized body and to malformed JSON', async (_, key) => {
      for (const raw of [OVERSIZED, MALFORMED]) {
        const response = await postRaw(path, raw, key).expect(401);
        expect(response.body).toEqual(UNAUTHORIZED_SEND);
      }
      expect(emulator.received).toBe(0);
    });

    it('answers 413 and 400 to the same bodies with a valid key', async () => {
      const tooLarge = await postRaw(path, OVERSIZED, API_KEY).expect(413);
      expect(tooLarge.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      const malformed = await postRaw(path, MALFORMED, API_KEY).expect(400);
      expect(malformed.body.violations).toEqual([
        expect.objectContaining({ field: '(body)', rule: 'json' }),
      ]);
      expect(emulator.received).toBe(0);
    });

    it('answers 401 without waiting for a body that never comes', async () => {
      // The headers promise a megabyte and one byte of it is sent: a parser would wait forever.
      const answer = await answerToUnfinishedBody(subject, path, 1024 * 1024, '{');
      expect(answer).toEqual({ status: 401, body: UNAUTHORIZED_SEND });
    });
  });

  it('answers 401 to an anonymous POST on a path no route has, without reading its body', async () => {
    const response = await postRaw('/v1/nothing-here', OVERSIZED, null).expect(401);
    expect(response.body).toEqual(UNAUTHORIZED);
    await postRaw('/v1/nothing-here', MALFORMED, API_KEY).expect(400);
    await postRaw('/v1/nothing-here', '{}', API_KEY).expect(404);
  });

  it.each(['/health/live', '/docs', '/docs-json'])('GET %s stays public', async (path) => {
    await request(subject.server).get(path).expect(200);
  });

  it('does not parse a body sent to a public route', async () => {
    // A public route reads no body, so an anonymous caller cannot make the app parse one there.
    await request(subject.server)
      .get('/health/live')
      .set('content-type', 'application/json')
      .send(MALFORMED)
      .expect(200);
  });
});
