import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import request from 'supertest';
import { RtcTokenService } from 'nestjs-volcengine-rtc';
import {
  AcceptedMessage,
  buildRtcCallbackEvent,
  deliverRtcCallbackEvent,
  RtcCallbackEventBody,
  RtcCallbackEventInput,
  RtcOpenApiEmulator,
  sendRtcClientMessage,
} from 'nestjs-volcengine-rtc/testing';
import type { CreateAppOptions } from '../src/bootstrap';
import { EVENT_EXAMPLE } from '../src/docs/rtc-inbound.api-docs';
import { rtcInboundConfig } from '../src/rtc-inbound/rtc-inbound.config';
import { startTelemetry } from '../src/telemetry/telemetry';
import {
  API_KEY,
  AppUnderTest,
  FROM,
  postJson,
  SentResponses,
  startAppUnderTest,
} from './support/app-under-test';
import { TEST_REDIS_URL } from '../libs/rtc-messaging/test/test-redis';

/** Tokens carry the AppId at a fixed 24 characters. */
const APP_ID = '661e000000000000000543cf';
const APP_KEY = 'e2e-inbound-app-key-0123456789';
const CALLBACK_SECRET = 'e2e-callback-s3cret';
const OLD_CALLBACK_SECRET = 'e2e-old-callback-s3cret';
const REDIS_URL = TEST_REDIS_URL;
const EVENTS = '/v1/rtc/events';
const CLIENT_MESSAGES = '/v1/rtc/client-messages';
const RECENT = '/v1/rtc/events/recent';

/** EventIds of this run only: claims are kept in Redis across runs. */
const RUN = `e2e-${Date.now().toString(36)}-${process.pid}`;
let eventCount = 0;
const nextEventId = (): string => `${RUN}-${++eventCount}`;

interface Listening {
  readonly subject: AppUnderTest;
  readonly url: string;
}

/**
 * Every app this file started. Nest's `Logger` is one per process: a line goes to the logger of
 * the app created last, whichever app wrote it, so the log checks read every app's lines.
 */
const started: AppUnderTest[] = [];
const allLogLines = (): string[] =>
  started.flatMap((subject) => [...subject.logger.lines, ...subject.requestLog]);

/** The demo app on an ephemeral port of 127.0.0.1, so the kit can deliver to it as RTC does. */
async function listen(
  emulator: RtcOpenApiEmulator,
  sent: SentResponses,
  env: CreateAppOptions['env'] = {},
): Promise<Listening> {
  const subject = await startAppUnderTest(emulator.url, sent, {
    RTC_APP_ID: APP_ID,
    RTC_APP_KEY: APP_KEY,
    RTC_CALLBACK_SECRET: CALLBACK_SECRET,
    ...env,
  });
  started.push(subject);
  await subject.app.listen(0, '127.0.0.1');
  const url = (await subject.app.getUrl()).replace('[::1]', '127.0.0.1');
  return { subject, url };
}

const event = (input: Partial<RtcCallbackEventInput> = {}, secret = CALLBACK_SECRET) =>
  buildRtcCallbackEvent(
    {
      type: 'UserJoinRoom',
      appId: APP_ID,
      eventId: nextEventId(),
      data: { RoomId: 'room_1', UserId: 'alice' },
      ...input,
    },
    secret,
  );

interface RecentEventBody {
  eventId: string;
  eventType: string;
  appId: string;
  eventTime: string;
  receivedAt: string;
  deliveries: number;
}

async function recentOf(subject: AppUnderTest): Promise<RecentEventBody[]> {
  const response = await request(subject.server).get(RECENT).set('x-api-key', API_KEY).expect(200);
  return response.body as RecentEventBody[];
}

// Each test may boot an app of its own, and waits for what the app does after it answered.
jest.setTimeout(20_000);

/** Waits (at most 5 s) until `done()` holds: for what the app does after it answered. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
    if (done()) return;
    await sleep(10);
  }
  throw new Error(`not within 5 s: ${what}`);
}

/** Waits until the emulator accepted `count` messages; resolves them. */
async function acceptedMessages(
  emulator: RtcOpenApiEmulator,
  count: number,
): Promise<readonly AcceptedMessage[]> {
  await waitFor(() => emulator.accepted.length >= count, `${count} accepted messages`);
  return emulator.accepted;
}

/** Everything the apps wrote: Nest's log, the request logs, every response. */
const everythingShown = (sent: SentResponses): string =>
  [...allLogLines(), ...sent.bodies, ...sent.headers].join('\n');

describe('What RTC sends the demo app (e2e, the testing kit as RTC)', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let app: Listening;

  beforeAll(async () => {
    // What main.ts does first (src/telemetry/instrumentation.ts): /metrics, before any app.
    startTelemetry({});
    emulator = new RtcOpenApiEmulator({ appIds: [APP_ID] });
    await emulator.start();
    app = await listen(emulator, sent);
  });
  afterAll(async () => {
    await app?.subject.app.close();
    await emulator?.stop();
  });
  beforeEach(() => emulator.reset());

  describe('POST /v1/rtc/events', () => {
    it('handles a signed event without an API key, and lists it in the recent events', async () => {
      const sentEvent = event({ eventTime: '2026-12-07T00:00:00Z' });
      const report = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, sentEvent);

      expect(report.delivered).toBe(true);
      expect(report.attempts.map((a) => a.status)).toEqual([200]);
      const [first] = await recentOf(app.subject);
      expect(first).toEqual({
        eventId: sentEvent.EventId,
        eventType: 'UserJoinRoom',
        appId: APP_ID,
        eventTime: '2026-12-07T00:00:00Z',
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        deliveries: 1,
      });
      // Served ahead of the request logger: the module's delivery is the log line.
      expect(allLogLines()).toContainEqual(
        expect.stringContaining(
          `RTC event UserJoinRoom ${sentEvent.EventId} (AppId ${APP_ID}): handled`,
        ),
      );
    });

    it('answers every duplicate 200 and counts each delivery, the event listed once', async () => {
      const sentEvent = event();
      const together = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, sentEvent, {
        copies: 5,
      });
      const later = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, sentEvent);

      expect([...together.attempts, ...later.attempts].map((a) => a.status)).toEqual(
        Array.from({ length: 6 }, () => 200),
      );
      const listed = (await recentOf(app.subject)).filter((e) => e.eventId === sentEvent.EventId);
      expect(listed).toEqual([expect.objectContaining({ deliveries: 6 })]);
    });

    it('lists the most recently handled first', async () => {
      const ids = [event(), event(), event()];
      for (const each of ids) await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, each);
      const recent = (await recentOf(app.subject)).map((e) => e.eventId);
      expect(recent.slice(0, 3)).toEqual(ids.map((e) => e.EventId).reverse());
    });

    it('accepts a signature made with RTC_CALLBACK_SECRET_SECONDARY during a rotation', async () => {
      const rotating = await listen(emulator, sent, {
        RTC_CALLBACK_SECRET_SECONDARY: OLD_CALLBACK_SECRET,
      });
      try {
        const report = await deliverRtcCallbackEvent(
          `${rotating.url}${EVENTS}`,
          event({}, OLD_CALLBACK_SECRET),
        );
        expect(report.attempts.map((a) => a.status)).toEqual([200]);
      } finally {
        await rotating.subject.app.close();
      }
    });

    describe('refusals: size (413), then shape (400), then signature (401)', () => {
      const once = { maxDeliveries: 1 };

      it('refuses a body over 256 KB with 413, even unsigned and malformed', async () => {
        const big = { ...event(), EventData: 'x'.repeat(300 * 1024), Signature: 'nope' };
        const report = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, big, once);
        expect(report.attempts.map((a) => a.status)).toEqual([413]);
      });

      it('refuses a missing field with 400 naming it, before the signature', async () => {
        const { Nonce: _nonce, ...withoutNonce } = event();
        const report = await deliverRtcCallbackEvent(
          `${app.url}${EVENTS}`,
          { ...withoutNonce, Signature: 'not checked yet' } as RtcCallbackEventBody,
          once,
        );
        expect(report.attempts[0].status).toBe(400);
        expect(report.attempts[0].body).toContain('Nonce');
      });

      it.each([
        ['another secret', () => event({}, 'not-the-secret')],
        ['a field changed after signing', () => ({ ...event(), EventType: 'UserLeaveRoom' })],
      ])('refuses %s with 401, saying only that, and lists nothing', async (_case, make) => {
        const refused = make();
        const report = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, refused, once);

        expect(report.attempts[0].status).toBe(401);
        expect(report.attempts[0].body).not.toContain(CALLBACK_SECRET);
        const listed = (await recentOf(app.subject)).map((e) => e.eventId);
        expect(listed).not.toContain(refused.EventId);
      });

      it('logs no refusal, and counts each in /metrics by type and outcome', async () => {
        const linesBefore = allLogLines().length;
        const refused = event({}, 'not-the-secret');
        await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, refused, once);

        expect(allLogLines().slice(linesBefore).join('\n')).not.toContain(refused.EventId);
        const page = (await request(app.subject.server).get('/metrics').expect(200)).text;
        expect(page).toMatch(
          /rtc_inbound_deliveries_total\{[^}]*rtc_outcome="refused"[^}]*\} [1-9]/,
        );
      });

      it('refuses an event of another AppId, and lists nothing', async () => {
        const foreign = event({ appId: 'ffff00000000000000000000' });
        const report = await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, foreign, once);
        expect(report.attempts[0].status).toBe(403);
        expect((await recentOf(app.subject)).map((e) => e.eventId)).not.toContain(foreign.EventId);
      });
    });

    it('answers 503 "not configured" without RTC_CALLBACK_SECRET, and RTC retries', async () => {
      const unconfigured = await listen(emulator, sent, { RTC_CALLBACK_SECRET: undefined });
      try {
        const report = await deliverRtcCallbackEvent(`${unconfigured.url}${EVENTS}`, event());
        expect(report.attempts.map((a) => a.status)).toEqual([503, 503, 503]);
        expect(report.attempts[0].body).toMatch(/not configured/);
      } finally {
        await unconfigured.subject.app.close();
      }
    });
  });

  describe('GET /v1/rtc/events/recent', () => {
    it('needs an API key, unlike the routes RTC calls', async () => {
      await request(app.subject.server).get(RECENT).expect(401);
      await request(app.subject.server).get(RECENT).set('x-api-key', 'wrong').expect(401);
    });
  });

  describe('POST /v1/rtc/client-messages', () => {
    const loginToken = async (userId: string): Promise<string> =>
      (await app.subject.app.get(RtcTokenService).createLoginToken(userId)).token;

    it('acknowledges a message signed with a login token, then echoes it to its sender', async () => {
      const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
        message: 'héllo server',
        signature: await loginToken('alice'),
      });

      expect(ack.status).toBe(200);
      expect(JSON.parse(ack.text)).toEqual({ received: true, bytes: 13 });
      expect(allLogLines()).toContainEqual(
        expect.stringContaining('RTC client message from alice: 13 bytes'),
      );
      const [echo] = await acceptedMessages(emulator, 1);
      expect(echo).toMatchObject({
        action: 'SendUnicast',
        appId: APP_ID,
        from: FROM,
        to: 'alice',
        binary: false,
        message: 'héllo server',
      });
    });

    it('echoes bytes as bytes', async () => {
      const bytes = new Uint8Array([0, 1, 2, 254, 255]);
      const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
        message: bytes,
        signature: await loginToken('bob'),
      });

      expect(JSON.parse(ack.text)).toEqual({ received: true, bytes: 5 });
      const [echo] = await acceptedMessages(emulator, 1);
      expect(echo).toMatchObject({ to: 'bob', binary: true });
      expect(Buffer.from(echo.message, 'base64')).toEqual(Buffer.from(bytes));
    });

    it('acknowledges even when the echo fails, and logs the failure without the message', async () => {
      // Refused, not failed in transit: the budget does not retry it, the echo fails at once.
      // Every call until the reset after this test: a probe of the connection warmer may come first.
      emulator.injectFault(
        { type: 'error', code: 'InvalidParameter', status: 400 },
        { action: 'SendUnicast', times: Infinity },
      );
      const secretText = 'a private note 7f3a';
      const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
        message: secretText,
        signature: await loginToken('carol'),
      });

      expect(ack.status).toBe(200);
      await waitFor(
        () => allLogLines().some((line) => line.includes('echo of a client message')),
        'the failed echo logged',
      );
      const failure = allLogLines().filter((line) => line.includes('echo of a client message'));
      expect(failure).toEqual([expect.stringContaining('to carol failed')]);
      expect(everythingShown(sent)).not.toContain(secretText);
    });

    describe('refusals', () => {
      it('refuses a body over 512 KB with 413, before reading it', async () => {
        const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
          message: 'x'.repeat(520 * 1024),
          signature: await loginToken('alice'),
        });
        expect(ack.status).toBe(413);
      });

      it('refuses a message over 64 KB with 400 naming message', async () => {
        const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
          message: 'x'.repeat(64 * 1024 + 1),
          signature: await loginToken('alice'),
        });
        expect(ack.status).toBe(400);
        expect(ack.text).toContain('message');
      });

      it('refuses an empty message with 400 naming message, before the token', async () => {
        const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
          message: '',
          binary: false,
          signature: 'not a token',
        });
        expect(ack.status).toBe(400);
        expect(ack.text).toContain('message');
      });

      it.each([
        ['a forged token', { appId: APP_ID, appKey: 'not-the-app-key', userId: 'mallory' }],
        [
          'an expired token',
          {
            appId: APP_ID,
            appKey: APP_KEY,
            userId: 'alice',
            issuedAt: Math.floor(Date.now() / 1000) - 7_200,
            expiresInSeconds: 3_600,
          },
        ],
        [
          "another AppId's token",
          { appId: 'ffff00000000000000000000', appKey: APP_KEY, userId: 'alice' },
        ],
        [
          'a token without an expiry',
          { appId: APP_ID, appKey: APP_KEY, userId: 'alice', expiresInSeconds: 0 },
        ],
      ])('refuses %s with 401 and echoes nothing', async (_case, signature) => {
        const ack = await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
          message: 'should not pass',
          signature,
        });
        expect(ack.status).toBe(401);
        // A message sent afterwards goes through the same budget: once it is accepted, an echo
        // of the refused message would have been too.
        await postJson(app.subject, '/v1/messages/unicast', { to: 'probe', message: 'p' }).expect(
          200,
        );
        expect(emulator.accepted.map((m) => m.to)).toEqual(['probe']);
      });

      it('answers 503 without RTC_APP_KEY: no token can be checked', async () => {
        const noKey = await listen(emulator, sent, { RTC_APP_KEY: undefined });
        try {
          const ack = await sendRtcClientMessage(`${noKey.url}${CLIENT_MESSAGES}`, {
            message: 'hi',
            signature: 'any',
          });
          expect(ack.status).toBe(503);
        } finally {
          await noKey.subject.app.close();
        }
      });
    });

    it('does not echo with RTC_ECHO_CLIENT_MESSAGES=false, and still acknowledges', async () => {
      const quiet = await listen(emulator, sent, { RTC_ECHO_CLIENT_MESSAGES: 'false' });
      try {
        const token = (await quiet.subject.app.get(RtcTokenService).createLoginToken('dave')).token;
        const ack = await sendRtcClientMessage(`${quiet.url}${CLIENT_MESSAGES}`, {
          message: 'no echo please',
          signature: token,
        });
        expect(JSON.parse(ack.text)).toEqual({ received: true, bytes: 14 });
        await postJson(quiet.subject, '/v1/messages/unicast', { to: 'probe', message: 'p' }).expect(
          200,
        );
        expect(emulator.accepted.map((m) => m.to)).toEqual(['probe']);
      } finally {
        await quiet.subject.app.close();
      }
    });
  });

  it('never shows a secret, a token or a message: not in a log line, not in an answer', async () => {
    const token = await app.subject.app.get(RtcTokenService).createLoginToken('erin');
    await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
      message: 'confidential-9b1c',
      signature: token.token,
    });
    await sendRtcClientMessage(`${app.url}${CLIENT_MESSAGES}`, {
      message: 'confidential-9b1c',
      signature: `${token.token}x`,
    });
    await deliverRtcCallbackEvent(`${app.url}${EVENTS}`, event({}, 'wrong'), { maxDeliveries: 1 });
    await acceptedMessages(emulator, 1);

    const shown = everythingShown(sent);
    for (const secret of [CALLBACK_SECRET, APP_KEY, token.token, 'confidential-9b1c']) {
      expect(shown).not.toContain(secret);
    }
  });

  it('never shows the callback secrets in util.inspect or JSON of the configuration', async () => {
    const rotating = await listen(emulator, sent, {
      RTC_CALLBACK_SECRET_SECONDARY: OLD_CALLBACK_SECRET,
    });
    try {
      const settings = rotating.subject.app.get(rtcInboundConfig.KEY);
      const namespace = rotating.subject.app.get(ConfigService).get('rtcInbound');
      const shown = [
        inspect(settings, { showHidden: true, depth: 10 }),
        JSON.stringify(settings),
        inspect(namespace, { showHidden: true, depth: 10 }),
        JSON.stringify(namespace),
      ].join('\n');
      expect(shown).toContain('[redacted]');
      expect(shown).not.toContain(CALLBACK_SECRET);
      expect(shown).not.toContain(OLD_CALLBACK_SECRET);
    } finally {
      await rotating.subject.app.close();
    }
  });
});

describe('The OpenAPI docs of the routes RTC calls (e2e)', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let docs: Listening;

  beforeAll(async () => {
    emulator = new RtcOpenApiEmulator();
    await emulator.start();
    // The documented event is known-answer vector 1: its AppId, signed with its secret.
    docs = await listen(emulator, sent, {
      RTC_APP_ID: EVENT_EXAMPLE.AppId,
      RTC_CALLBACK_SECRET: 'cb-secret-1',
    });
  });
  afterAll(async () => {
    await docs?.subject.app.close();
    await emulator?.stop();
  });

  it('lists both, with no API key, and the documented event is accepted as it is', async () => {
    const document = (await request(docs.subject.server).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: object }>>;
    };
    for (const path of [EVENTS, CLIENT_MESSAGES]) {
      expect(document.paths[path].post.security).toEqual([]);
      expect(Object.keys(document.paths[path].post.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '413', '503']),
      );
    }
    expect(document.paths[RECENT].get).toBeDefined();

    const report = await deliverRtcCallbackEvent(`${docs.url}${EVENTS}`, EVENT_EXAMPLE);
    expect(report.attempts.map((a) => a.status)).toEqual([200]);
  });
});

describe('Two demo app instances on one Redis (e2e)', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  let emulator: RtcOpenApiEmulator;
  let instances: Listening[] = [];

  beforeAll(async () => {
    emulator = new RtcOpenApiEmulator({ appIds: [APP_ID] });
    await emulator.start();
    instances = [
      await listen(emulator, sent, { REDIS_URL }),
      await listen(emulator, sent, { REDIS_URL }),
    ];
  });
  afterAll(async () => {
    for (const instance of instances) await instance.subject.app.close();
    await emulator?.stop();
    // This run's claims only, by SCAN (the Redis is shared), each command bounded.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
    try {
      for await (const keys of redis.scanStream({ match: `*${RUN}*`, count: 1_000 })) {
        const batch = keys as string[];
        if (batch.length > 0) await redis.del(...batch);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('handle an event delivered to both at once exactly once', async () => {
    const sentEvent = event();
    const reports = await Promise.all(
      instances.map((instance) =>
        deliverRtcCallbackEvent(`${instance.url}${EVENTS}`, sentEvent, { copies: 3 }),
      ),
    );

    expect(reports.flatMap((r) => r.attempts.map((a) => a.status))).toEqual(
      Array.from({ length: 6 }, () => 200),
    );
    const listed = (
      await Promise.all(instances.map((instance) => recentOf(instance.subject)))
    ).flatMap((recent) => recent.filter((e) => e.eventId === sentEvent.EventId));
    // Handled on one instance only: listed there, with the deliveries it received.
    expect(listed).toHaveLength(1);
    expect(listed[0].deliveries).toBeGreaterThanOrEqual(1);
    expect(listed[0].deliveries).toBeLessThanOrEqual(3);
  });
});
