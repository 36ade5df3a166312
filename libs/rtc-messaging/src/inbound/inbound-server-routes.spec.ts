import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { RtcMessagingModule } from '../rtc-messaging.module';
import {
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  SPEC_MESSAGING_OPTIONS,
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

@Controller('ping')
class Ping {
  @Get()
  ping() {
    return 'pong';
  }
}

@Module({ controllers: [Ping] })
class PingModule {}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** An event of about 150 KB: over Nest's default JSON limit (100 KB), under the module's 256 KB. */
const bigEvent = () => signedEvent({ EventData: JSON.stringify({ pad: 'p'.repeat(150_000) }) });

async function start(serveBeforeAppMiddleware: boolean) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true }),
      RtcInboundModule.forRoot({
        events: { path: '/v1/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        serveBeforeAppMiddleware,
      }),
      PingModule,
    ],
    providers: [Events],
  }).compile();
  // Nest's default body parsers, and an app-level middleware that sees what reaches the app.
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  const seenByApp: string[] = [];
  app.use((req: { url: string }, _res: unknown, next: () => void) => {
    seenByApp.push(req.url);
    next();
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, seenByApp };
}

describe('RtcInboundModule with serveBeforeAppMiddleware', () => {
  it("serves its routes ahead of the app: the app's middleware and JSON parser never see them", async () => {
    const { app, url, seenByApp } = await start(true);
    try {
      const response = await post(`${url}/v1/rtc/events`, bigEvent(), JSON_HEADERS);
      expect(response.status).toBe(200);
      expect(app.get(Events).seen).toHaveLength(1);
      expect(seenByApp).toEqual([]);
      // Everything else still goes through the app.
      const ping = await fetch(`${url}/ping`);
      expect(await ping.text()).toBe('pong');
      expect((await fetch(`${url}/v1/rtc/events`)).status).toBe(404);
      expect(seenByApp).toEqual(['/ping', '/v1/rtc/events']);
    } finally {
      await app.close();
    }
  });

  it('keeps its own limit (413) and accepts a query string or a trailing slash', async () => {
    const { app, url } = await start(true);
    try {
      const over = signedEvent({ EventData: 'x'.repeat(270_000) });
      expect((await post(`${url}/v1/rtc/events`, over, JSON_HEADERS)).status).toBe(413);
      expect((await post(`${url}/v1/rtc/events/?source=rtc`, signedEvent())).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("as Nest middleware (the default), the app's own JSON parser reads the body first, with its own limit", async () => {
    const { app, url, seenByApp } = await start(false);
    try {
      const response = await post(`${url}/v1/rtc/events`, bigEvent(), JSON_HEADERS);
      expect(response.status).toBe(413);
      expect(app.get(Events).seen).toHaveLength(0);
      expect(seenByApp).toEqual(['/v1/rtc/events']);
    } finally {
      await app.close();
    }
  });
});
