/**
 * The floor of `npm run bench:inbound`: a bare `node:http` server that does for each event
 * callback what the demo app must do at the least, and nothing else: read the body (at most 256
 * KB), parse it, check the eight fields are strings and the AppId is the one served, verify the
 * signature with the library's own pure function (`RtcCallbackSecrets`, constant-time), claim the
 * `EventId` with one Redis `SET key 1 NX PX ttl`, and answer 200 (a claimed event too: a
 * duplicate). No framework, no logging, no telemetry.
 *
 * Started by run-inbound.ts with `[JSON input]`; sends `{ port }` over IPC once it listens.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import {
  RTC_CALLBACK_SIGNED_FIELDS,
  RtcCallbackSecrets,
} from '../libs/rtc-messaging/src/inbound/rtc-callback-signature';

interface FloorInput {
  readonly secret: string;
  readonly appId: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
}

const input = JSON.parse(process.argv[2]) as FloorInput;
const secrets = new RtcCallbackSecrets(input.secret);
// The same bound as the library's claim store puts on each command (250 ms): no wait unbounded.
const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 250 });
const MAX_BODY_BYTES = 262_144;
const CLAIM_TTL_MS = 86_400_000;
/** The eight fields a delivery must carry as strings: the signed ones and `Signature`. */
const FIELDS = [...RTC_CALLBACK_SIGNED_FIELDS, 'Signature'] as const;

function answer(response: ServerResponse, status: number, body = ''): void {
  response.writeHead(status, { 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function handle(bytes: Buffer, response: ServerResponse): Promise<void> {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return answer(response, 400, 'not JSON');
  }
  if (typeof event !== 'object' || event === null) return answer(response, 400, 'not an object');
  for (const field of FIELDS) {
    if (typeof event[field] !== 'string') return answer(response, 400, `${field} missing`);
  }
  const fields = event as Record<(typeof FIELDS)[number], string>;
  if (!secrets.verify(fields, fields.Signature)) return answer(response, 401, 'bad signature');
  if (fields.AppId !== input.appId) return answer(response, 403, 'AppId');
  try {
    await redis.set(`${input.keyPrefix}${fields.EventId}`, '1', 'PX', CLAIM_TTL_MS, 'NX');
  } catch {
    return answer(response, 503, 'store');
  }
  answer(response, 200);
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    return answer(response, 413);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      answer(response, 413);
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => void handle(Buffer.concat(chunks), response));
});
// As Node's default, and the app's: idle keep-alive sockets close after 5 s.
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ port });
});
process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
