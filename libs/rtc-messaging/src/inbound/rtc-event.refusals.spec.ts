import { Injectable } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import {
  InboundApp,
  post,
  signedEvent,
  SPEC_APP_ID,
  SPEC_CALLBACK_SECRET,
  startInboundApp,
} from '../../test/inbound-app';
import { RTC_CALLBACK_SIGNED_FIELDS } from './rtc-callback-signature';
import { OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcEvent } from './rtc-inbound.types';

const MAX_BODY_BYTES = 2_048;

@Injectable()
class Events {
  readonly seen: RtcEvent[] = [];

  @OnRtcEvent()
  any(event: RtcEvent) {
    this.seen.push(event);
  }
}

/** POSTs `chunks` with chunked transfer encoding (no Content-Length), as a streaming sender. */
function postChunked(url: string, chunks: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close the connection once it answered 413, before every chunk went out.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('RtcInboundModule event callbacks: refusals, in the order 413 → 400 → 401', () => {
  let running: InboundApp;
  let url: string;
  const events = () => running.app.get(Events).seen;

  beforeAll(async () => {
    running = await startInboundApp({
      inbound: {
        events: {
          path: '/rtc/events',
          callbackSecret: SPEC_CALLBACK_SECRET,
          secondaryCallbackSecret: 'previous-secret',
          maxBodyBytes: MAX_BODY_BYTES,
        },
      },
      providers: [Events],
    });
    url = `${running.url}/rtc/events`;
  });
  afterAll(() => running.close());
  beforeEach(() => events().splice(0));

  it('413 for a Content-Length over the limit, even when the body is not JSON', async () => {
    const response = await post(url, 'x'.repeat(MAX_BODY_BYTES + 1));
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({
      message: `the body must be at most ${MAX_BODY_BYTES} bytes`,
    });
    expect(events()).toHaveLength(0);
  });

  it('413 for a streamed body (no Content-Length) once it passes the limit', async () => {
    const status = await postChunked(url, ['{"EventType":"', 'y'.repeat(MAX_BODY_BYTES), '"}']);
    expect(status).toBe(413);
    expect(events()).toHaveLength(0);
  });

  it('400 for a body that is not JSON', async () => {
    const response = await post(url, 'EventType=UserJoinRoom');
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({
      violations: [{ field: '(body)', rule: 'isJson' }],
    });
  });

  it('400 for JSON that is not an object', async () => {
    const response = await post(url, [signedEvent()]);
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ violations: [{ field: '(body)', rule: 'isObject' }] });
  });

  it.each([...RTC_CALLBACK_SIGNED_FIELDS, 'Signature'])(
    '400 naming %s when it is missing',
    async (field) => {
      const { [field]: _missing, ...rest } = signedEvent();
      const response = await post(url, rest);
      expect(response.status).toBe(400);
      expect(response.json()).toEqual({
        message: `${field} is missing`,
        violations: [{ field, rule: 'isString', message: `${field} is missing` }],
      });
    },
  );

  it('400 naming a field that is not a string', async () => {
    const response = await post(url, { ...signedEvent(), EventData: { RoomId: 'r' } });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ message: 'EventData must be a string' });
  });

  it('400 naming EventId when it is empty', async () => {
    const response = await post(url, signedEvent({ EventId: '' }));
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ message: 'EventId must not be empty' });
  });

  it('400 before 401: a missing field is named even when the signature is wrong too', async () => {
    const { EventTime: _missing, ...rest } = signedEvent({}, 'wrong-secret');
    expect((await post(url, rest)).status).toBe(400);
  });

  it('401 saying only that, for a signature under another secret', async () => {
    const response = await post(url, signedEvent({}, 'another-secret'));
    expect(response.status).toBe(401);
    expect(response.json()).toEqual({ message: 'invalid signature' });
    expect(events()).toHaveLength(0);
  });

  it('401 when a signed field was changed after signing', async () => {
    const response = await post(url, { ...signedEvent(), EventData: '{"RoomId":"other"}' });
    expect(response.status).toBe(401);
    expect(events()).toHaveLength(0);
  });

  it('accepts a signature under the secondary secret (rotation)', async () => {
    const response = await post(url, signedEvent({}, 'previous-secret'));
    expect(response.status).toBe(200);
    expect(events()).toHaveLength(1);
  });

  it('403 for a verified event of an AppId the module does not serve', async () => {
    const response = await post(url, signedEvent({ AppId: '0123456789abcdef01234567' }));
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ message: 'AppId is not one this server handles' });
    expect(events()).toHaveLength(0);
  });

  it('a verified event whose EventData is not JSON still reaches its handler, with the raw string and the problem, and is answered 200', async () => {
    const response = await post(url, signedEvent({ EventData: 'not json {' }));
    expect(response.status).toBe(200);
    expect(events()[0]).toMatchObject({
      data: undefined,
      rawData: 'not json {',
      problems: [{ field: 'EventData', message: 'EventData is not a JSON document' }],
    });
  });

  it('a verified event whose EventTime does not parse still reaches its handler, and is answered 200', async () => {
    const response = await post(url, signedEvent({ EventTime: 'yesterday' }));
    expect(response.status).toBe(200);
    expect(events()[0]).toMatchObject({
      eventTime: undefined,
      rawEventTime: 'yesterday',
      problems: [{ field: 'EventTime', message: 'EventTime is not an ISO-8601 date and time' }],
    });
  });

  it('parses an EventTime with an offset', async () => {
    await post(url, signedEvent({ EventTime: '2026-12-07T08:30:15+08:00' }));
    expect(events()[0].eventTime).toEqual(new Date('2026-12-07T00:30:15Z'));
    expect(events()[0].appId).toBe(SPEC_APP_ID);
  });

  it('answers other methods with 404: the route is POST only', async () => {
    const response = await fetch(url);
    expect(response.status).toBe(404);
  });
});

describe('RtcInboundModule event callbacks: a body that does not arrive in time', () => {
  it('answers 408 at the deadline and closes the connection, running nothing', async () => {
    const running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET, deadlineMs: 200 },
      },
      providers: [Events],
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          `${running.url}/rtc/events`,
          { method: 'POST', headers: { 'content-length': '100' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        // Ten of the hundred bytes announced, then nothing.
        req.write('{"EventId"');
      });
      expect(status).toBe(408);
      expect(running.app.get(Events).seen).toHaveLength(0);
    } finally {
      await running.close();
    }
  });
});

describe('RtcInboundModule: an event type without a handler and no catch-all', () => {
  @Injectable()
  class OnlyJoins {
    runs = 0;

    @OnRtcEvent('UserJoinRoom')
    joined() {
      this.runs += 1;
    }
  }

  it('is answered 200 with nothing run (RTC sends only subscribed events; a retry would not help)', async () => {
    const running = await startInboundApp({
      inbound: { events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET } },
      providers: [OnlyJoins],
    });
    try {
      const response = await post(
        `${running.url}/rtc/events`,
        signedEvent({ EventType: 'RoomCreate' }),
      );
      expect(response.status).toBe(200);
      expect(running.app.get(OnlyJoins).runs).toBe(0);
    } finally {
      await running.close();
    }
  });
});

describe('RtcInboundModule event callbacks without a callback secret', () => {
  it('answers 503 saying callbacks are not configured, before reading the body', async () => {
    const running = await startInboundApp({
      inbound: { events: { path: '/rtc/events' } },
      providers: [Events],
    });
    try {
      const response = await post(`${running.url}/rtc/events`, signedEvent());
      expect(response.status).toBe(503);
      expect(response.json()).toEqual({
        message: 'RTC event callbacks are not configured: no callback secret is set',
      });
      expect(running.app.get(Events).seen).toHaveLength(0);
    } finally {
      await running.close();
    }
  });
});
