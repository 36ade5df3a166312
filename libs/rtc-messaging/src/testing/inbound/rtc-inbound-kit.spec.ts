import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyRtcToken } from '../../tokens';
import { buildRtcCallbackEvent, RtcCallbackEventBody } from './rtc-callback-event';
import { sendRtcClientMessage } from './rtc-client-message';
import { deliverRtcCallbackEvent } from './rtc-event-delivery';

/** What reached the plain server: each request's method, headers and body. */
interface Arrival {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Answer = (response: ServerResponse, arrival: Arrival, index: number) => void;

/** A plain `node:http` server on an ephemeral port that answers each request with `answer`. */
async function startServer(
  answer: Answer,
): Promise<{ url: string; arrivals: Arrival[]; server: Server }> {
  const arrivals: Arrival[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrival = {
        method: request.method ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      arrivals.push(arrival);
      answer(response, arrival, arrivals.length - 1);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/callback`, arrivals, server };
}

const APP_ID = '5f0c3a1b2d4e6f708192a3b4';
const APP_KEY = 'kit-app-key-0123456789';

describe('the inbound testing kit', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  describe('buildRtcCallbackEvent', () => {
    it("signs with the library's signature: known-answer vector 1 byte for byte", () => {
      // Vector 1 of Volcengine docs 6348/293101, as the workspace's reference gives it.
      const event = buildRtcCallbackEvent(
        {
          type: 'UserJoinRoom',
          data: '{"RoomId":"room1","UserId":"alice","Timestamp":1733500000000}',
          eventTime: '2026-12-07T00:00:00Z',
          eventId: 'c1d5e7f0a9b84c2e9d3f',
          appId: APP_ID,
          version: '2020-12-01',
          nonce: '4821',
        },
        'cb-secret-1',
      );
      expect(event.Signature).toBe(
        'af2def5c53ea7f51244fcbdf27a40847acedc418c7c2e305e9b3c251d67a00ee',
      );
    });

    it('fills in what RTC would: JSON data in a string, an ISO time, an id, a 4-digit nonce', () => {
      const at = new Date('2026-12-07T01:02:03.000Z');
      const event = buildRtcCallbackEvent(
        { type: 'UserJoinRoom', appId: APP_ID, data: { RoomId: 'r1' }, eventTime: at },
        's',
      );
      expect(event).toEqual({
        EventType: 'UserJoinRoom',
        EventData: '{"RoomId":"r1"}',
        EventTime: '2026-12-07T01:02:03.000Z',
        EventId: expect.stringMatching(/^[0-9a-f]{20}$/) as string,
        AppId: APP_ID,
        Version: '2020-12-01',
        Signature: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
        Nonce: expect.stringMatching(/^\d{4}$/) as string,
      });
      const again = buildRtcCallbackEvent({ type: 'UserJoinRoom', appId: APP_ID }, 's');
      expect(again.EventId).not.toBe(event.EventId);
    });
  });

  describe('deliverRtcCallbackEvent', () => {
    const event = (): RtcCallbackEventBody =>
      buildRtcCallbackEvent({ type: 'RoomCreate', appId: APP_ID, data: { RoomId: 'r' } }, 's');

    it('POSTs the event as JSON once when the answer is 200', async () => {
      const target = await startServer((response) => response.end('ok'));
      server = target.server;
      const sent = event();
      const report = await deliverRtcCallbackEvent(target.url, sent);

      expect(report).toMatchObject({ eventId: sent.EventId, delivered: true });
      expect(report.attempts).toEqual([
        expect.objectContaining({ copy: 1, delivery: 1, status: 200, body: 'ok' }),
      ]);
      expect(target.arrivals).toHaveLength(1);
      expect(target.arrivals[0].method).toBe('POST');
      expect(target.arrivals[0].headers['content-type']).toBe('application/json');
      expect(JSON.parse(target.arrivals[0].body)).toEqual(sent);
    });

    it('retries after answers other than 200, like RTC, and stops at the first 200', async () => {
      const statuses = [500, 204];
      const target = await startServer((response, _arrival, i) => {
        response.statusCode = statuses[i] ?? 200;
        response.end();
      });
      server = target.server;
      const report = await deliverRtcCallbackEvent(target.url, event());

      expect(report.delivered).toBe(true);
      expect(report.attempts.map((a) => [a.delivery, a.status])).toEqual([
        [1, 500],
        [2, 204],
        [3, 200],
      ]);
    });

    it('gives up after 3 deliveries in all by default, and after maxDeliveries when set', async () => {
      const target = await startServer((response) => {
        response.statusCode = 503;
        response.end('busy');
      });
      server = target.server;
      const sent = event();

      const rtcWay = await deliverRtcCallbackEvent(target.url, sent);
      expect(rtcWay.delivered).toBe(false);
      expect(rtcWay.attempts.map((a) => a.status)).toEqual([503, 503, 503]);

      const once = await deliverRtcCallbackEvent(target.url, sent, { maxDeliveries: 1 });
      expect(once.attempts).toHaveLength(1);
      // Every delivery carried the same event, byte for byte.
      expect(new Set(target.arrivals.map((a) => a.body)).size).toBe(1);
    });

    it('counts no answer within the time limit as a failure and retries', async () => {
      const target = await startServer((response, _arrival, i) => {
        // The first delivery never gets an answer; the retry does.
        if (i > 0) response.end();
      });
      server = target.server;
      const report = await deliverRtcCallbackEvent(target.url, event(), { timeoutMs: 100 });

      expect(report.delivered).toBe(true);
      expect(report.attempts).toEqual([
        expect.objectContaining({ delivery: 1, failure: 'timeout', status: undefined }),
        expect.objectContaining({ delivery: 2, status: 200 }),
      ]);
    });

    it('reports a connection that fails, without throwing', async () => {
      const target = await startServer((response) => response.end());
      const { url } = target;
      target.server.close();
      await once(target.server, 'close');
      const report = await deliverRtcCallbackEvent(url, event(), { maxDeliveries: 2 });

      expect(report.delivered).toBe(false);
      expect(report.attempts.map((a) => a.failure)).toEqual(['network', 'network']);
      expect(report.attempts[0].error).toMatch(/ECONNREFUSED/);
    });

    it('sends duplicates: each copy with its own retries, at once or one after another', async () => {
      const target = await startServer((response, arrival) => {
        response.end(arrival.body.length > 0 ? 'seen' : '');
      });
      server = target.server;
      const sent = event();

      const together = await deliverRtcCallbackEvent(target.url, sent, { copies: 3 });
      expect(together.delivered).toBe(true);
      expect(together.attempts.map((a) => a.copy).sort()).toEqual([1, 2, 3]);

      const inTurn = await deliverRtcCallbackEvent(target.url, sent, {
        copies: 2,
        concurrent: false,
      });
      expect(inTurn.attempts.map((a) => a.copy)).toEqual([1, 2]);
      expect(inTurn.attempts[1].startedAt).toBeGreaterThanOrEqual(
        inTurn.attempts[0].startedAt + Math.floor(inTurn.attempts[0].durationMs),
      );
      expect(target.arrivals.map((a) => JSON.parse(a.body) as unknown)).toEqual(
        Array.from({ length: 5 }, () => sent),
      );
    });

    it.each([
      [{ maxDeliveries: 0 }, /maxDeliveries must be an integer >= 1/],
      [{ timeoutMs: 1.5 }, /timeoutMs must be an integer >= 1/],
      [{ copies: 0 }, /copies must be an integer >= 1/],
      [{ retryDelayMs: -1 }, /retryDelayMs must be an integer >= 0/],
    ])('refuses %j, naming the option', async (options, message) => {
      await expect(
        deliverRtcCallbackEvent('http://127.0.0.1:9/', event(), options),
      ).rejects.toThrow(message);
    });
  });

  describe('sendRtcClientMessage', () => {
    it('POSTs {message, binary, signature} with no Content-Type, signed with a login token', async () => {
      const target = await startServer((response) => {
        response.setHeader('content-type', 'application/json');
        response.end('{"ok":true}');
      });
      server = target.server;
      const ack = await sendRtcClientMessage(target.url, {
        message: 'héllo',
        signature: { appId: APP_ID, appKey: APP_KEY, userId: 'alice' },
      });

      expect(ack).toMatchObject({ status: 200, text: '{"ok":true}' });
      const [arrival] = target.arrivals;
      expect(arrival.method).toBe('POST');
      expect(arrival.headers['content-type']).toBeUndefined();
      const body = JSON.parse(arrival.body) as {
        message: string;
        binary: boolean;
        signature: string;
      };
      expect(body).toEqual({ message: 'héllo', binary: false, signature: expect.any(String) });
      const verdict = verifyRtcToken(body.signature, APP_KEY, {
        now: Math.floor(Date.now() / 1000),
        appId: APP_ID,
      });
      expect(verdict).toMatchObject({ valid: true, content: { userId: 'alice', roomId: '' } });
    });

    it('sends bytes as base64 with binary: true, and a given token as it is', async () => {
      const target = await startServer((response) => response.end(Buffer.from([0, 255])));
      server = target.server;
      const ack = await sendRtcClientMessage(target.url, {
        message: new Uint8Array([1, 2, 250]),
        signature: 'a-token-of-the-app',
      });

      expect(ack.body).toEqual(Buffer.from([0, 255]));
      expect(JSON.parse(target.arrivals[0].body)).toEqual({
        message: Buffer.from([1, 2, 250]).toString('base64'),
        binary: true,
        signature: 'a-token-of-the-app',
      });
    });

    it('makes expired tokens on request, for refusal tests', async () => {
      const target = await startServer((response) => response.end());
      server = target.server;
      await sendRtcClientMessage(target.url, {
        message: 'late',
        signature: {
          appId: APP_ID,
          appKey: APP_KEY,
          userId: 'alice',
          issuedAt: Math.floor(Date.now() / 1000) - 7_200,
          expiresInSeconds: 3_600,
        },
      });
      const { signature } = JSON.parse(target.arrivals[0].body) as { signature: string };
      const verdict = verifyRtcToken(signature, APP_KEY, {
        now: Math.floor(Date.now() / 1000),
        appId: APP_ID,
      });
      expect(verdict).toMatchObject({ valid: false, reason: 'expired' });
    });

    it('reports no answer within the time limit', async () => {
      const target = await startServer(() => undefined);
      server = target.server;
      const ack = await sendRtcClientMessage(
        target.url,
        { message: 'x', signature: 't' },
        { timeoutMs: 50 },
      );
      expect(ack).toMatchObject({ failure: 'timeout', text: '' });
      expect(ack.status).toBeUndefined();
    });
  });
});
