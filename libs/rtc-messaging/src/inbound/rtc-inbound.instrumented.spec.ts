import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { OBSERVE_LIKE_INSTRUMENT, unproxiableProviders } from '../../test/observe-like-instrument';
import { RtcMessagingModule } from '../rtc-messaging.module';
import { RtcTokenService } from '../token-service/rtc-token.service';
import {
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  SPEC_MESSAGING_OPTIONS,
} from '../../test/inbound-app';
import { OnRtcClientMessage, OnRtcEvent } from './rtc-inbound.decorators';
import { RtcInboundModule } from './rtc-inbound.module';
import type { RtcClientMessage } from './rtc-inbound.types';
import { TEST_REDIS_URL } from '../../test/test-redis';

@Injectable()
class Handlers {
  runs = 0;

  @OnRtcEvent('UserJoinRoom')
  joined() {
    this.runs += 1;
  }

  @OnRtcClientMessage()
  client(message: RtcClientMessage) {
    return { from: message.userId };
  }
}

const prefix = `test:inbound-lib:${randomUUID()}:`;

@Module({
  imports: [
    RtcMessagingModule.forRoot({
      ...SPEC_MESSAGING_OPTIONS,
      rateLimit: { redis: TEST_REDIS_URL, redisKeyPrefix: `${prefix}budget:` },
      isGlobal: true,
    }),
    RtcInboundModule.forRoot({
      events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
      clientMessages: { path: '/rtc/client' },
      deduplication: { redisKeyPrefix: `${prefix}claims:` },
    }),
  ],
  providers: [Handlers],
})
class InstrumentedApp {}

describe('RtcInboundModule in an app whose providers are wrapped in proxies (Nest 12 instrument, as @nestjs/observe)', () => {
  it('receives events (Redis de-duplication) and client messages', async () => {
    const app = await NestFactory.create(InstrumentedApp, {
      bodyParser: false,
      logger: false,
      abortOnError: false,
      // Every provider behind a proxy, as @nestjs/observe wraps them in apps made by `nest new`.
      instrument: OBSERVE_LIKE_INSTRUMENT,
    });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const event = signedEvent();
      expect((await post(`${url}/rtc/events`, event)).status).toBe(200);
      expect((await post(`${url}/rtc/events`, event)).text).toBe('{"outcome":"duplicate"}');
      const { token } = await app.get(RtcTokenService).createLoginToken('user_3');
      const reply = await post(`${url}/rtc/client`, {
        message: 'hi',
        binary: false,
        signature: token,
      });
      expect(reply.json()).toEqual({ from: 'user_3' });
      expect(unproxiableProviders(app, (name) => name.startsWith('RtcInbound'))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
