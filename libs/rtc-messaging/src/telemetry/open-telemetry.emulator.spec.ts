import type { TestingModule } from '@nestjs/testing';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { compileAgainst } from '../../test/against-emulator';
import { InMemoryOpenTelemetry } from '../../test/in-memory-open-telemetry';
import { RtcRateLimitedError, RtcUnknownOutcomeError } from '../errors';
import { RoomMessagingService } from '../room';
import { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from '../testing/emulator';
import { UnicastService } from '../unicast';
import { RTC_METRICS, SECONDS_BUCKETS } from './telemetry-names';

const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const MESSAGE = 'a message body that must never be recorded';

/** Every attribute value of every span, to check that no body and no secret is among them. */
const allValues = (spans: ReadableSpan[]) =>
  spans.flatMap((s) =>
    Object.values(s.attributes)
      .map(String)
      .concat(s.status.message ?? ''),
  );

/** The data points of `name` whose attributes include `attributes`. */
const pointsOf = (
  metrics: Map<string, DataPoint<unknown>[]>,
  name: string,
  attributes: Record<string, unknown> = {},
) =>
  (metrics.get(name) ?? []).filter((p) =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );

const sumOf = (points: DataPoint<unknown>[]) =>
  points.reduce((total, p) => total + (p.value as number), 0);

/** Spans and metrics of real calls against the emulator, with an in-memory SDK registered. */
describe('OpenTelemetry spans and metrics against the emulator', () => {
  // Registered before any module is created, as an app registers its SDK before NestFactory.
  const otel = new InMemoryOpenTelemetry().register();
  let emulator: RtcOpenApiEmulator;
  let moduleRef: TestingModule | undefined;

  async function compile(options: Partial<RtcMessagingModuleOptions> = {}) {
    moduleRef = await compileAgainst(emulator, { logger: false, ...options });
    return {
      unicast: moduleRef.get(UnicastService),
      rooms: moduleRef.get(RoomMessagingService),
    };
  }

  async function startEmulator(rateLimitPerSecond = 0) {
    emulator = new RtcOpenApiEmulator({ rateLimitPerSecond });
    await emulator.start();
  }

  beforeEach(() => otel.reset());

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await emulator.stop();
  });

  afterAll(() => otel.shutdown());

  it('records a sent call: a CLIENT span named after the action, and its metrics', async () => {
    await startEmulator();
    const { unicast } = await compile();
    const { requestId } = await unicast.send({ to: 'user_1', message: MESSAGE });

    const [span] = otel.spans('SendUnicast');
    expect(span.kind).toBe(SPAN_KIND_CLIENT);
    expect(span.attributes).toEqual({
      'rtc.app_id': 'app',
      'rtc.action': 'SendUnicast',
      'rtc.request_id': requestId,
      'rtc.outcome': 'sent',
      'rtc.attempts': 1,
      'rtc.budget_wait_ms': expect.any(Number),
    });
    expect(span.status.code).not.toBe(STATUS_ERROR);

    const metrics = await otel.collect();
    const sent = { 'rtc.action': 'SendUnicast', 'rtc.outcome': 'sent' };
    expect(pointsOf(metrics, RTC_METRICS.calls)).toEqual([
      expect.objectContaining({ attributes: sent, value: 1 }),
    ]);
    const [duration] = pointsOf(metrics, RTC_METRICS.callDuration);
    expect(duration.attributes).toEqual(sent);
    const histogram = duration.value as Histogram;
    expect(histogram.count).toBe(1);
    // Seconds, with boundaries made for seconds rather than the SDK's millisecond defaults.
    expect(histogram.buckets.boundaries).toEqual(SECONDS_BUCKETS);
    expect(histogram.sum).toBeLessThan(10);
    expect((pointsOf(metrics, RTC_METRICS.budgetWait)[0].value as Histogram).count).toBe(1);
    expect(pointsOf(metrics, RTC_METRICS.budgetQueued)).toEqual([
      expect.objectContaining({ value: 0 }),
    ]);
    expect(pointsOf(metrics, RTC_METRICS.retries)).toEqual([]);
  });

  it('records a call the upstream throttled as not_delivered, with its code and RequestId', async () => {
    await startEmulator(1);
    const { unicast } = await compile({ rateLimit: false, retry: { maxAttempts: 1 } });
    await unicast.send({ to: 'user_1', message: MESSAGE });
    const error: unknown = await unicast.send({ to: 'user_2', message: MESSAGE }).catch((e) => e);
    expect(error).toBeInstanceOf(RtcRateLimitedError);

    const throttled = otel.spans('SendUnicast')[1];
    expect(throttled.status.code).toBe(STATUS_ERROR);
    expect(throttled.attributes).toMatchObject({
      'rtc.outcome': 'not_delivered',
      'rtc.error_code': 'FlowLimitExceeded.QPSOverLimit',
      'rtc.request_id': (error as RtcRateLimitedError).upstream?.requestId,
      'rtc.attempts': 1,
    });
    const metrics = await otel.collect();
    expect(
      pointsOf(metrics, RTC_METRICS.calls, {
        'rtc.outcome': 'not_delivered',
        'rtc.error_code': 'FlowLimitExceeded.QPSOverLimit',
      }),
    ).toEqual([expect.objectContaining({ value: 1 })]);
    expect(
      pointsOf(metrics, RTC_METRICS.callDuration, { 'rtc.outcome': 'not_delivered' }),
    ).toHaveLength(1);
  });

  it('records a retried call: its attempts on the span, the retry by error code', async () => {
    await startEmulator();
    const { unicast } = await compile({ retry: { baseDelayMs: 1 } });
    emulator.injectFault({ type: 'error', code: 'ServiceUnavailableTemp' });
    await unicast.send({ to: 'user_1', message: MESSAGE });

    const [span] = otel.spans('SendUnicast');
    expect(span.attributes).toMatchObject({ 'rtc.outcome': 'sent', 'rtc.attempts': 2 });
    expect(span.attributes['rtc.error_code']).toBeUndefined();
    const metrics = await otel.collect();
    expect(pointsOf(metrics, RTC_METRICS.retries)).toEqual([
      expect.objectContaining({
        attributes: { 'rtc.action': 'SendUnicast', 'rtc.error_code': 'ServiceUnavailableTemp' },
        value: 1,
      }),
    ]);
    // Two attempts, two waits for budget.
    expect((pointsOf(metrics, RTC_METRICS.budgetWait)[0].value as Histogram).count).toBe(2);
  });

  it('records an unknown outcome as unknown, with status ERROR', async () => {
    await startEmulator();
    const { unicast } = await compile();
    emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout', deliver: true });
    await expect(unicast.send({ to: 'user_1', message: MESSAGE })).rejects.toBeInstanceOf(
      RtcUnknownOutcomeError,
    );

    const [span] = otel.spans('SendUnicast');
    expect(span.status.code).toBe(STATUS_ERROR);
    expect(span.attributes).toMatchObject({
      'rtc.outcome': 'unknown',
      'rtc.error_code': 'InternalServiceTimeout',
    });
    const metrics = await otel.collect();
    expect(
      sumOf(
        pointsOf(metrics, RTC_METRICS.calls, {
          'rtc.outcome': 'unknown',
          'rtc.error_code': 'InternalServiceTimeout',
        }),
      ),
    ).toBe(1);
  });

  it('labels 200 calls failing with 200 undocumented codes as one Other series and one log line', async () => {
    await startEmulator();
    const warnings: string[] = [];
    const logger = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => warnings.push(String(message)),
    };
    const { unicast } = await compile({ rateLimit: false, retry: { maxAttempts: 1 }, logger });
    const codes = Array.from({ length: 200 }, (_, i) => `InvalidParameter.Made${i}`);
    for (const code of codes) emulator.injectFault({ type: 'error', code, status: 400 });

    const raw: string[] = [];
    for (const [i] of codes.entries()) {
      const error = (await unicast.send({ to: `user_${i}`, message: MESSAGE }).catch((e) => e)) as {
        code: string;
      };
      raw.push(error.code);
    }
    expect(raw).toEqual(codes); // the error itself keeps what the upstream said

    const calls = pointsOf(await otel.collect(), RTC_METRICS.calls);
    expect(calls.map((p) => p.attributes['rtc.error_code'])).toEqual(['Other']);
    expect(sumOf(calls)).toBe(200);
    expect(new Set(otel.spans('SendUnicast').map((s) => s.attributes['rtc.error_code']))).toEqual(
      new Set(['Other']),
    );
    await moduleRef?.close(); // writes what the summary still holds
    moduleRef = undefined;
    expect(warnings.filter((line) => line.includes('failed call'))).toEqual([
      expect.stringMatching(/^Other: 1 failed call since the last report/),
      expect.stringMatching(/^Other: 199 failed calls since the last report/),
    ]);
  });

  it('makes a fan-out one parent span with a child per recipient', async () => {
    await startEmulator();
    const { unicast } = await compile();
    await unicast.sendToMany(['user_1', 'user_2', 'user_3'], MESSAGE, { concurrency: 2 });

    const [parent] = otel.spans('RtcFanOut');
    expect(parent.attributes).toMatchObject({
      'rtc.recipients': 3,
      'rtc.sent': 3,
      'rtc.refused': 0,
      'rtc.unknown': 0,
      'rtc.cancelled': false,
    });
    const children = otel.spans('SendUnicast');
    expect(children).toHaveLength(3);
    for (const child of children) {
      expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    }
  });

  it('makes a room batch one parent span with a child per chunk, each with its recipient count', async () => {
    await startEmulator();
    const { rooms } = await compile();
    const ids = Array.from({ length: 601 }, (_, i) => `user_${i}`);
    await rooms.sendToUsers('match_17', ids, MESSAGE);

    const [parent] = otel.spans('RtcRoomBatch');
    expect(parent.attributes).toMatchObject({ 'rtc.recipients': 601, 'rtc.sent': 601 });
    const chunks = otel.spans('BatchSendRoomUnicast');
    expect(chunks.map((c) => c.attributes['rtc.recipients'])).toEqual([600, 1]);
    for (const chunk of chunks) {
      expect(chunk.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    }
  });

  it('counts the callers waiting for budget in rtc.messaging.budget.queued', async () => {
    await startEmulator();
    // One call per second: of twenty sent at once, at least ten still wait ten seconds later.
    const { unicast } = await compile({ rateLimit: { perSecond: 1, maxWaitMs: 60_000 } });
    const abort = new AbortController();
    const calls = Array.from({ length: 20 }, (_, i) =>
      unicast.send({ to: `user_${i}`, message: MESSAGE }, { signal: abort.signal }).catch(() => 0),
    );
    const [waiting] = pointsOf(await otel.collect(), RTC_METRICS.budgetQueued);
    expect(waiting.value).toBeGreaterThanOrEqual(10);
    abort.abort();
    await Promise.all(calls);
    const [after] = pointsOf(await otel.collect(), RTC_METRICS.budgetQueued);
    expect(after.value).toBe(0);
  });

  it('never records a message body or a secret', async () => {
    await startEmulator();
    const { unicast, rooms } = await compile();
    await unicast.send({ to: 'user_1', message: MESSAGE });
    await rooms.broadcast('match_17', MESSAGE);
    emulator.injectFault({ type: 'error', code: 'InternalServiceTimeout' });
    await rooms.sendToUser('match_17', 'user_1', MESSAGE).catch(() => undefined);

    const values = allValues(otel.spans());
    expect(values.length).toBeGreaterThan(10);
    for (const value of values) {
      expect(value).not.toContain(MESSAGE);
      expect(value).not.toContain(EMULATOR_DEMO_CREDENTIALS.secretAccessKey);
    }
  });
});
