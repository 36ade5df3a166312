import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RtcMessagingModule } from '../rtc-messaging.module';
import {
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  SPEC_MESSAGING_OPTIONS,
  startInboundApp,
} from '../../test/inbound-app';
import { OnRtcEvent } from './rtc-inbound.decorators';
import { RtcInboundModule } from './rtc-inbound.module';
import type { RtcEvent } from './rtc-inbound.types';

@Injectable()
class Events {
  readonly seen: RtcEvent[] = [];

  @OnRtcEvent()
  any(event: RtcEvent) {
    this.seen.push(event);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('RtcInboundModule behind the app’s own body parser', () => {
  it("with Nest's default JSON parser, an event sent as application/json is verified over the parsed fields", async () => {
    const running = await startInboundApp({
      inbound: { events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET } },
      providers: [Events],
      bodyParser: true,
    });
    try {
      const event = signedEvent();
      const response = await post(`${running.url}/rtc/events`, event, JSON_HEADERS);
      expect(response.status).toBe(200);
      expect(running.app.get(Events).seen.map((e) => e.eventId)).toEqual([event.EventId]);
    } finally {
      await running.close();
    }
  });

  it('refuses by Content-Length (413) a body the app’s parser would have accepted', async () => {
    const running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET, maxBodyBytes: 1_024 },
      },
      providers: [Events],
      bodyParser: true,
    });
    try {
      const event = signedEvent({ EventData: JSON.stringify({ pad: 'p'.repeat(2_000) }) });
      const response = await post(`${running.url}/rtc/events`, event, JSON_HEADERS);
      expect(response.status).toBe(413);
      expect(running.app.get(Events).seen).toHaveLength(0);
    } finally {
      await running.close();
    }
  });

  it('with rawBody: true, counts the raw bytes the parser kept', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true }),
        RtcInboundModule.forRoot({
          events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        }),
      ],
      providers: [Events],
    }).compile();
    const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const response = await post(`${url}/rtc/events`, signedEvent(), JSON_HEADERS);
      expect(response.status).toBe(200);
      expect(app.get(Events).seen).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('serves its routes under the app’s global prefix', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true }),
        RtcInboundModule.forRoot({
          events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        }),
      ],
      providers: [Events],
    }).compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    app.setGlobalPrefix('api');
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      expect((await post(`${url}/api/rtc/events`, signedEvent())).status).toBe(200);
      expect((await post(`${url}/rtc/events`, signedEvent())).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});
