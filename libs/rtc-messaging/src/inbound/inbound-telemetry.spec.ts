import { Injectable } from '@nestjs/common';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import { InMemoryOpenTelemetry } from '../../test/in-memory-open-telemetry';
import { RtcTokenService } from '../token-service/rtc-token.service';
import { RTC_METRICS, RTC_SPANS } from '../telemetry/telemetry-names';
import {
  InboundApp,
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  startInboundApp,
} from '../../test/inbound-app';
import { OnRtcClientMessage, OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcEvent } from './rtc-inbound.types';

const SPAN_KIND_SERVER = 1;
const MESSAGE = 'a client message that must never be recorded';

@Injectable()
class Handlers {
  failNext = false;

  @OnRtcEvent('UserJoinRoom')
  joined() {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('fails once');
    }
  }

  @OnRtcEvent()
  other(_event: RtcEvent) {}

  @OnRtcClientMessage()
  client() {
    return 'ok';
  }
}

const countOf = (
  metrics: Map<string, DataPoint<unknown>[]>,
  name: string,
  attributes: Record<string, unknown>,
) =>
  (metrics.get(name) ?? [])
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce(
      (total, p) =>
        total + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count),
      0,
    );

describe('RtcInboundModule telemetry (an in-memory OpenTelemetry SDK)', () => {
  const otel = new InMemoryOpenTelemetry().register();
  let running: InboundApp;

  beforeAll(async () => {
    running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        clientMessages: { path: '/rtc/client' },
      },
      providers: [Handlers],
    });
  });
  afterAll(async () => {
    await running.close();
    await otel.shutdown();
  });
  beforeEach(() => otel.reset());

  it('records a SERVER span per delivery with rtc.event_type, rtc.event_id and rtc.outcome', async () => {
    const event = signedEvent();
    await post(`${running.url}/rtc/events`, event);
    await post(`${running.url}/rtc/events`, event);
    const spans = otel.spans(RTC_SPANS.inboundEvent);
    expect(spans.map((s) => s.kind)).toEqual([SPAN_KIND_SERVER, SPAN_KIND_SERVER]);
    expect(spans.map((s) => s.attributes)).toEqual([
      { 'rtc.event_type': 'UserJoinRoom', 'rtc.event_id': event.EventId, 'rtc.outcome': 'handled' },
      {
        'rtc.event_type': 'UserJoinRoom',
        'rtc.event_id': event.EventId,
        'rtc.outcome': 'duplicate',
      },
    ]);
  });

  it('counts rtc.inbound.deliveries by type and outcome; types without a handler of their own count as other', async () => {
    const url = `${running.url}/rtc/events`;
    running.app.get(Handlers).failNext = true;
    const failing = signedEvent();
    await post(url, failing);
    await post(url, failing);
    await post(url, signedEvent({ EventType: 'RecordStarted' }));
    await post(url, signedEvent({}, 'wrong-secret'));
    const { token } = await running.app.get(RtcTokenService).createLoginToken('u1');
    await post(`${running.url}/rtc/client`, { message: MESSAGE, binary: false, signature: token });

    const metrics = await otel.collect();
    const deliveries = RTC_METRICS.inboundDeliveries;
    expect(
      countOf(metrics, deliveries, { 'rtc.event_type': 'UserJoinRoom', 'rtc.outcome': 'failed' }),
    ).toBe(1);
    expect(
      countOf(metrics, deliveries, { 'rtc.event_type': 'UserJoinRoom', 'rtc.outcome': 'handled' }),
    ).toBe(1);
    expect(
      countOf(metrics, deliveries, { 'rtc.event_type': 'other', 'rtc.outcome': 'handled' }),
    ).toBe(1);
    expect(
      countOf(metrics, deliveries, { 'rtc.event_type': 'other', 'rtc.outcome': 'refused' }),
    ).toBe(1);
    expect(
      countOf(metrics, deliveries, { 'rtc.event_type': 'ClientMessage', 'rtc.outcome': 'handled' }),
    ).toBe(1);
    expect(
      countOf(metrics, RTC_METRICS.inboundHandlerDuration, {
        'rtc.event_type': 'UserJoinRoom',
        'rtc.outcome': 'failed',
      }),
    ).toBe(1);
    expect(
      countOf(metrics, RTC_METRICS.inboundHandlerDuration, {
        'rtc.event_type': 'ClientMessage',
        'rtc.outcome': 'handled',
      }),
    ).toBe(1);
    const recorded = otel.spans().flatMap((s) =>
      Object.values(s.attributes)
        .map(String)
        .concat(s.status.message ?? ''),
    );
    expect(recorded.join('\n')).not.toContain(MESSAGE);
    expect(recorded.join('\n')).not.toContain(token);
  });
});
