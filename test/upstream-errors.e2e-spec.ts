import request from 'supertest';
import {
  EMULATOR_DEMO_CREDENTIALS,
  RejectedCall,
  RtcOpenApiEmulator,
} from 'nestjs-volcengine-rtc/testing';
import {
  API_KEY,
  AppUnderTest,
  deadEndpoint,
  SentResponses,
  startAppUnderTest,
  startEmulator,
} from './support/app-under-test';

const PATH = '/v1/messages/unicast';
const SECRET = EMULATOR_DEMO_CREDENTIALS.secretAccessKey;
const WRONG_SECRET = 'wrong-secret-for-e2e-0123456789';
const TIMEOUT_MS = 400;

describe('upstream failures, as the app answers them', () => {
  const sent: SentResponses = { bodies: [], headers: [] };
  const apps: AppUnderTest[] = [];
  let emulator: RtcOpenApiEmulator;
  let subject: AppUnderTest;
  let rejected: RejectedCall[];

  const send = (app: AppUnderTest = subject) =>
    request(app.server)
      .post(PATH)
      .set('x-api-key', API_KEY)
      .send({ to: 'user_42', message: 'hello' });

  async function startApp(
    endpoint: string,
    env: Parameters<typeof startAppUnderTest>[2] = {},
  ): Promise<AppUnderTest> {
    const app = await startAppUnderTest(endpoint, sent, env);
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    emulator.on('rejected', (call) => rejected.push(call));
    subject = await startApp(emulator.url, { RTC_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(async () => {
    for (const app of apps) await app.app.close();
    await emulator?.stop();
  });
  beforeEach(() => {
    emulator.reset();
    rejected = [];
  });

  it('an upstream refusal (SignatureDoesNotMatch, 401) → 502 with its code, CodeN and RequestId', async () => {
    emulator.injectFault({ type: 'error', code: 'SignatureDoesNotMatch' }, { times: Infinity });

    const response = await send().expect(502);

    expect(rejected).toHaveLength(1);
    expect(response.body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      outcome: 'not_delivered',
      upstreamStatus: 401,
      code: 'SignatureDoesNotMatch',
      codeN: 100010,
      requestId: rejected[0].requestId,
    });
    expect(emulator.accepted).toHaveLength(0);
  });

  it('upstream throttling (FlowLimitExceeded, 429) → 429 with Retry-After', async () => {
    // Retry-After 0 lets the module's own retries (it retries throttling) run without waiting.
    emulator.injectFault(
      { type: 'error', code: 'FlowLimitExceeded', status: 429, retryAfterSeconds: 0 },
      { times: Infinity },
    );

    const response = await send().expect(429);

    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      outcome: 'not_delivered',
      retryAfterSeconds: 1,
      upstreamStatus: 429,
      code: 'FlowLimitExceeded',
    });
    expect(response.body.requestId).toBe(rejected.at(-1)?.requestId);
    expect(emulator.accepted).toHaveLength(0);
  });

  it('an upstream InternalError (500) → 502, outcome unknown, not retried', async () => {
    emulator.injectFault(
      { type: 'error', code: 'InternalError', deliver: true },
      { times: Infinity },
    );

    const response = await send().expect(502);

    expect(response.body).toMatchObject({
      statusCode: 502,
      outcome: 'unknown',
      upstreamStatus: 500,
      code: 'InternalError',
      codeN: 100014,
      requestId: rejected[0].requestId,
    });
    expect(response.body.message).toMatch(/may have been delivered/);
    // It was in fact delivered: a retry would have sent it twice.
    expect(emulator.received).toBe(1);
    expect(emulator.accepted).toHaveLength(1);
  });

  it("a proxy's HTML 502 page → 502, outcome unknown, not retried (it may have forwarded the call)", async () => {
    emulator.injectFault({ type: 'html-page', status: 502, deliver: true }, { times: Infinity });

    const response = await send().expect(502);

    expect(response.body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      outcome: 'unknown',
      failure: 'bad_response',
    });
    expect(response.body.message).toMatch(/may have been delivered/);
    // The proxy had forwarded it: a retry would have sent it twice.
    expect(emulator.received).toBe(1);
    expect(emulator.accepted).toHaveLength(1);
  });

  it("the gateway's own 502 FailToConnect envelope → retried, then 502 not delivered", async () => {
    emulator.injectFault({ type: 'error', code: 'FailToConnect' }, { times: Infinity });

    const response = await send().expect(502);

    expect(response.body).toMatchObject({
      outcome: 'not_delivered',
      upstreamStatus: 502,
      code: 'FailToConnect',
      codeN: 100015,
      requestId: rejected.at(-1)?.requestId,
    });
    // Surely not delivered, so the module's retries ran (3 attempts by default).
    expect(emulator.received).toBe(3);
    expect(emulator.accepted).toHaveLength(0);
  });

  it('a 200 whose Result is null → 200 with the RequestId, and no message', async () => {
    emulator.injectFault({ type: 'result', result: null });
    let requestId: string | undefined;
    emulator.once('accepted', (message) => (requestId = message.requestId));

    const response = await send().expect(200);

    expect(response.body).toEqual({ requestId });
    expect(emulator.accepted).toHaveLength(1);
  });

  it('a connection reset after the request was sent → 502 (never 503), outcome unknown', async () => {
    emulator.injectFault({ type: 'reset', deliver: true }, { times: Infinity });

    const response = await send().expect(502);

    expect(response.body).toMatchObject({
      statusCode: 502,
      error: 'Bad Gateway',
      outcome: 'unknown',
      failure: 'reset',
    });
    expect(response.body.message).toMatch(/may have been delivered/);
    // It was in fact delivered, and not sent again.
    expect(emulator.received).toBe(1);
    expect(emulator.accepted).toHaveLength(1);
  });

  it('no answer within RTC_TIMEOUT_MS → 504, outcome unknown', async () => {
    emulator.injectFault({ type: 'latency', ms: TIMEOUT_MS * 3 }, { times: Infinity });
    const started = Date.now();

    const response = await send().expect(504);

    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
    expect(response.body).toMatchObject({
      statusCode: 504,
      error: 'Gateway Timeout',
      outcome: 'unknown',
      failure: 'timeout',
    });
    expect(emulator.received).toBe(1);
  });

  it('an upstream that is not listening → 503, not delivered', async () => {
    const unreachable = await startApp(await deadEndpoint());

    const response = await send(unreachable).expect(503);

    expect(response.body).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      outcome: 'not_delivered',
      failure: 'connect',
    });
    // The library's detail names the endpoint's address; the caller is not told it.
    expect(response.text).not.toMatch(/127\.0\.0\.1/);
  });

  it('a clock the upstream finds off → the real InvalidTimestamp, as 502 with the hint to sync it', async () => {
    // An upstream whose clock is 20 minutes ahead: this machine's X-Date is too far behind it.
    const ahead = new RtcOpenApiEmulator({ now: () => Date.now() + 20 * 60_000 });
    await ahead.start();
    try {
      const skewed = await startApp(ahead.url);

      const response = await send(skewed).expect(502);

      expect(response.body).toMatchObject({
        statusCode: 502,
        error: 'Bad Gateway',
        outcome: 'not_delivered',
        upstreamStatus: 400,
        code: 'InvalidTimestamp',
      });
      expect(response.body.message).toMatch(/sync the clock \(NTP\)/);
      expect(ahead.accepted).toHaveLength(0);
    } finally {
      await ahead.stop();
    }
  });

  it('a wrong secret key → the real SignatureDoesNotMatch, as 502', async () => {
    const misconfigured = await startApp(emulator.url, { VOLC_SECRETKEY: WRONG_SECRET });

    const response = await send(misconfigured).expect(502);

    expect(response.body).toMatchObject({
      outcome: 'not_delivered',
      upstreamStatus: 401,
      code: 'SignatureDoesNotMatch',
      codeN: 100010,
      requestId: rejected[0].requestId,
    });
    expect(emulator.accepted).toHaveLength(0);
  });

  it('never sent a secret key in a response, nor logged it', () => {
    expect(sent.bodies.length).toBeGreaterThanOrEqual(8);
    const everything = [
      ...sent.bodies,
      ...sent.headers,
      ...apps.flatMap((app) => app.logger.lines),
    ];
    for (const text of everything) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(WRONG_SECRET);
    }
  });
});
