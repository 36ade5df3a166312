import { Injectable } from '@nestjs/common';
import { RtcAppKeys } from '../tokens';
import { RtcTokenService } from '../token-service/rtc-token.service';
import {
  InboundApp,
  post,
  SPEC_APP_ID,
  SPEC_APP_KEY,
  startInboundApp,
} from '../../test/inbound-app';
import { OnRtcClientMessage } from './rtc-inbound.decorators';
import type { RtcClientMessage, RtcClientMessageReply } from './rtc-inbound.types';

const NOW = Math.floor(Date.now() / 1000);

/** A login token signed with `appKey` for `appId`, valid from `issuedAt` to `expiresAt`. */
function token(
  overrides: { appId?: string; appKey?: string; issuedAt?: number; expiresAt?: number } = {},
): string {
  return new RtcAppKeys(overrides.appKey ?? SPEC_APP_KEY).sign({
    appId: overrides.appId ?? SPEC_APP_ID,
    roomId: '',
    userId: 'user_7',
    nonce: 42,
    issuedAt: overrides.issuedAt ?? NOW - 60,
    expiresAt: overrides.expiresAt ?? NOW + 3_600,
    privileges: [],
  });
}

@Injectable()
class ClientInbox {
  readonly received: RtcClientMessage[] = [];
  /** What the next message's handler does. */
  reply: (message: RtcClientMessage) => RtcClientMessageReply | Promise<RtcClientMessageReply> =
    () => ({ ok: true });

  @OnRtcClientMessage()
  fromClient(message: RtcClientMessage) {
    this.received.push(message);
    return this.reply(message);
  }
}

describe('RtcInboundModule client messages', () => {
  let running: InboundApp;
  let url: string;
  let inbox: ClientInbox;

  beforeAll(async () => {
    running = await startInboundApp({
      inbound: { clientMessages: { path: '/rtc/client', maxBodyBytes: 200_000 } },
      providers: [ClientInbox],
    });
    url = `${running.url}/rtc/client`;
    inbox = running.app.get(ClientInbox);
  });
  afterAll(() => running.close());
  beforeEach(() => {
    inbox.received.splice(0);
    inbox.reply = () => ({ ok: true });
  });

  describe('refusals, in the order 413 → 400 → 401', () => {
    it('413 for a body over the limit, before anything else', async () => {
      const response = await post(url, 'z'.repeat(200_001));
      expect(response.status).toBe(413);
      expect(inbox.received).toHaveLength(0);
    });

    it('400 for a body that is not JSON, whatever the Content-Type says', async () => {
      const response = await post(url, 'message=hi', { 'content-type': 'application/json' });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ violations: [{ field: '(body)', rule: 'isJson' }] });
    });

    it.each([
      ['message', { binary: false, signature: token() }, 'message is missing'],
      ['binary', { message: 'hi', signature: token() }, 'binary is missing'],
      ['signature', { message: 'hi', binary: false }, 'signature is missing'],
    ])('400 naming %s when it is missing', async (field, body, message) => {
      const response = await post(url, body);
      expect(response.status).toBe(400);
      expect(response.json()).toEqual({
        message,
        violations: [expect.objectContaining({ field })],
      });
    });

    it('400 naming message when it is empty', async () => {
      const response = await post(url, { message: '', binary: false, signature: token() });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({
        violations: [{ field: 'message', rule: 'notEmpty', message: 'message must not be empty' }],
      });
    });

    it('400 naming message when its text is over 64 KB in UTF-8 (the body limit is not the rule)', async () => {
      // 21,846 three-byte characters: 65,538 bytes, under the body limit as JSON.
      const response = await post(url, {
        message: '汉'.repeat(21_846),
        binary: false,
        signature: token(),
      });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({
        violations: [{ field: 'message', rule: 'maxMessageBytes' }],
      });
      expect(response.text).not.toContain('汉');
    });

    it('400 naming message when its decoded bytes are over 64 KB', async () => {
      const message = Buffer.alloc(65_537, 1).toString('base64');
      const response = await post(url, { message, binary: true, signature: token() });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({
        message: 'message must be at most 65536 bytes after base64 decoding; it is 65537 bytes',
      });
    });

    it('400 naming message when binary is not canonical base64', async () => {
      const response = await post(url, { message: 'aGk=\n', binary: true, signature: token() });
      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({
        violations: [{ field: 'message', rule: 'canonicalBase64' }],
      });
    });

    it('400 before 401: a bad shape is named even with a forged token', async () => {
      const response = await post(url, { message: '', binary: false, signature: 'forged' });
      expect(response.status).toBe(400);
    });

    it.each([
      ['a forged token (another AppKey)', () => token({ appKey: 'not-the-app-key-0123456789' })],
      ['an expired token', () => token({ issuedAt: NOW - 7_200, expiresAt: NOW - 3_600 })],
      ['a token of another AppId', () => token({ appId: '0123456789abcdef01234567' })],
      ['a token without an expiry (not allowed by default)', () => token({ expiresAt: 0 })],
      ['a string that is no token', () => 'user_7'],
    ])('401 saying only that, for %s, before any handler runs', async (_case, signature) => {
      const response = await post(url, { message: 'hi', binary: false, signature: signature() });
      expect(response.status).toBe(401);
      expect(response.json()).toEqual({ message: 'invalid signature' });
      expect(inbox.received).toHaveLength(0);
    });
  });

  describe('delivery and acknowledgement', () => {
    it('a token from RtcTokenService reaches the handler with its userId (a room token too)', async () => {
      const tokens = running.app.get(RtcTokenService);
      const { token: roomToken } = await tokens.createRoomToken('room_1', 'user_9');
      const response = await post(url, { message: 'hi', binary: false, signature: roomToken });
      expect(response.status).toBe(200);
      expect(inbox.received).toEqual([{ userId: 'user_9', binary: false, message: 'hi' }]);
    });

    it('gives a binary message to the handler as its decoded bytes', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      await post(url, { message: bytes.toString('base64'), binary: true, signature: token() });
      expect(inbox.received).toEqual([{ userId: 'user_7', binary: true, message: bytes }]);
    });

    it.each([
      ['a string, as UTF-8 text', '已收到', 'text/plain; charset=utf-8', '已收到'],
      [
        'an object, as JSON',
        { received: true, bytes: 2 },
        'application/json; charset=utf-8',
        '{"received":true,"bytes":2}',
      ],
      ['bytes, as they are', Buffer.from('raw'), 'application/octet-stream', 'raw'],
      ['nothing, as an empty body', undefined, null, ''],
    ])('answers a reply that is %s', async (_case, reply, contentType, text) => {
      inbox.reply = () => reply;
      const response = await post(url, { message: 'hi', binary: false, signature: token() });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(contentType);
      expect(response.text).toBe(text);
    });

    it('answers 500 (never a truncated body) when the reply is over 64 KB', async () => {
      inbox.reply = () => 'a'.repeat(65_537);
      const response = await post(url, { message: 'hi', binary: false, signature: token() });
      expect(response.status).toBe(500);
      expect(response.text).not.toContain('aaaa');
    });

    it('answers 500 without details when the handler throws', async () => {
      inbox.reply = () => {
        throw new Error('database password is hunter2');
      };
      const response = await post(url, { message: 'hi', binary: false, signature: token() });
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({
        message: 'the delivery could not be handled; retry later',
      });
    });
  });
});

describe('RtcInboundModule client messages: other sender checks', () => {
  const start = (clientMessages: object, messaging?: object) =>
    startInboundApp({
      inbound: { clientMessages: { path: '/rtc/client', ...clientMessages } },
      providers: [ClientInbox],
      messaging,
    });

  it('accepts a token without an expiry when acceptTokensWithoutExpiry says so', async () => {
    const running = await start({ acceptTokensWithoutExpiry: true });
    try {
      const response = await post(`${running.url}/rtc/client`, {
        message: 'hi',
        binary: false,
        signature: token({ expiresAt: 0 }),
      });
      expect(response.status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it("uses the app's own verifier: its user id reaches the handler, false is a 401", async () => {
    const running = await start({
      verifySender: async (signature: string) =>
        signature.startsWith('ok:') ? signature.slice(3) : false,
    });
    try {
      const url = `${running.url}/rtc/client`;
      expect((await post(url, { message: 'hi', binary: false, signature: 'ok:u1' })).status).toBe(
        200,
      );
      expect((await post(url, { message: 'hi', binary: false, signature: 'nope' })).status).toBe(
        401,
      );
      expect(running.app.get(ClientInbox).received).toEqual([
        { userId: 'u1', binary: false, message: 'hi' },
      ]);
    } finally {
      await running.close();
    }
  });

  it("with verifySender 'none', the handler gets the message without a userId", async () => {
    const running = await start({ verifySender: 'none' });
    try {
      const response = await post(`${running.url}/rtc/client`, {
        message: 'hi',
        binary: false,
        signature: 'anything',
      });
      expect(response.status).toBe(200);
      expect(running.app.get(ClientInbox).received).toEqual([
        { userId: undefined, binary: false, message: 'hi' },
      ]);
    } finally {
      await running.close();
    }
  });

  it("answers 500 without details when the app's verifier throws, and 503 when it does not answer by the deadline", async () => {
    const running = await start({
      deadlineMs: 300,
      verifySender: (signature: string) =>
        signature === 'hang'
          ? new Promise<false>(() => undefined)
          : Promise.reject(new Error(`verifier crashed on ${signature}`)),
    });
    try {
      const url = `${running.url}/rtc/client`;
      const crashed = await post(url, { message: 'hi', binary: false, signature: 'crash' });
      expect(crashed.status).toBe(500);
      expect(crashed.text).not.toContain('crash');
      const hung = await post(url, { message: 'hi', binary: false, signature: 'hang' });
      expect(hung.status).toBe(503);
      expect(running.app.get(ClientInbox).received).toHaveLength(0);
    } finally {
      await running.close();
    }
  });

  it('answers 503 saying client messages are not configured when the module has no AppKey', async () => {
    const running = await start({}, { appKey: undefined });
    try {
      const response = await post(`${running.url}/rtc/client`, {
        message: 'hi',
        binary: false,
        signature: token(),
      });
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({
        message: 'RTC client messages are not configured: verifying their tokens needs the AppKey',
      });
    } finally {
      await running.close();
    }
  });
});
