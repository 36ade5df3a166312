import { randomInt } from 'node:crypto';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { RtcAppKeys } from '../../tokens';
import { postInbound } from './inbound-post';

/*
 * What RTC POSTs to the URL a client passed to `setServerParams(signature, url)` when it calls
 * `sendServerMessage` / `sendServerBinaryMessage`: `{"message","binary","signature"}`, with no
 * `Content-Type` header. Binary content travels as base64. The HTTP answer's body goes back to
 * the client as its acknowledgement. Source: Volcengine docs 6348/142432.
 */

/** The JSON body of a client message, as RTC forwards it. */
export interface RtcClientMessageBody {
  message: string;
  binary: boolean;
  signature: string;
}

/**
 * A login token made on the spot for the sender, with the app's AppKey: the signature a client
 * would pass to `setServerParams`.
 */
export interface RtcClientTokenInput {
  /** The RTC AppId, 24 printable ASCII characters (a token carries exactly 24). */
  readonly appId: string;
  /** The AppKey that signs the token. */
  readonly appKey: string;
  /** The sender's user id. */
  readonly userId: string;
  /** The room id: empty (the default) for a login token. */
  readonly roomId?: string;
  /** How long the token is valid, in seconds; default 3,600. `0` makes one without an expiry. */
  readonly expiresInSeconds?: number;
  /** When it was issued, in Unix seconds; default now (an earlier one makes an expired token). */
  readonly issuedAt?: number;
}

/** A client message to send. */
export interface RtcClientMessageInput {
  /** Text (`binary: false`), or bytes (`binary: true`, sent as base64). */
  readonly message: string | Uint8Array;
  /** What the client passed to `setServerParams`: a token, or how to make one. */
  readonly signature: string | RtcClientTokenInput;
}

/** How {@link sendRtcClientMessage} sends. */
export interface RtcClientMessageSendOptions {
  /** How long to wait for the answer, in ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** The `node:http` agent; default a fresh connection. */
  readonly agent?: Agent;
}

/** What the server answered: the client's acknowledgement. */
export interface RtcClientMessageReport {
  /** The HTTP status; absent when no answer came in time or the connection failed. */
  readonly status?: number;
  /** The answer's body: what the client receives as its acknowledgement. */
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
  /** The answer's headers. */
  readonly headers: IncomingHttpHeaders;
  /** `timeout` or `network` when no answer came. */
  readonly failure?: 'timeout' | 'network';
  /** The network error's message, with `failure: 'network'`. */
  readonly error?: string;
  /** When it was sent, in epoch milliseconds. */
  readonly startedAt: number;
  /** How long the answer took, in milliseconds. */
  readonly durationMs: number;
}

const DEFAULT_TOKEN_SECONDS = 3_600;
const DEFAULT_TIMEOUT_MS = 5_000;
/** A nonce is a uint32; `randomInt`'s upper bound is exclusive. */
const NONCE_BOUND = 2 ** 32;

/**
 * A token for `input`, signed with its AppKey by the library's own token codec.
 * @throws RtcTokenFormatError when a field cannot be written into a token (never quoting the key)
 */
export function makeRtcClientToken(input: RtcClientTokenInput): string {
  const issuedAt = input.issuedAt ?? Math.floor(Date.now() / 1000);
  const lifetime = input.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS;
  return new RtcAppKeys(input.appKey).sign({
    appId: input.appId,
    roomId: input.roomId ?? '',
    userId: input.userId,
    nonce: randomInt(NONCE_BOUND),
    issuedAt,
    expiresAt: lifetime === 0 ? 0 : issuedAt + lifetime,
    privileges: [],
  });
}

/** The body RTC would forward for `input`. */
export function buildRtcClientMessage(input: RtcClientMessageInput): RtcClientMessageBody {
  const binary = typeof input.message !== 'string';
  return {
    message: binary ? Buffer.from(input.message).toString('base64') : input.message,
    binary,
    signature:
      typeof input.signature === 'string' ? input.signature : makeRtcClientToken(input.signature),
  };
}

/**
 * Sends a client message to `url` as RTC forwards one: `{message, binary, signature}` as a POST
 * with no `Content-Type`. Resolves what the server answered (the client's acknowledgement);
 * never throws for what the server does.
 *
 * @example
 * const ack = await sendRtcClientMessage(`${url}/v1/rtc/client-messages`, {
 *   message: 'hello',
 *   signature: { appId: APP_ID, appKey: APP_KEY, userId: 'alice' },
 * });
 * expect(ack.status).toBe(200);
 */
export async function sendRtcClientMessage(
  url: string,
  input: RtcClientMessageInput | RtcClientMessageBody,
  options: RtcClientMessageSendOptions = {},
): Promise<RtcClientMessageReport> {
  const body = 'binary' in input ? input : buildRtcClientMessage(input);
  const result = await postInbound(url, Buffer.from(JSON.stringify(body), 'utf8'), {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    agent: options.agent,
  });
  return { ...result, text: result.body.toString('utf8') };
}
