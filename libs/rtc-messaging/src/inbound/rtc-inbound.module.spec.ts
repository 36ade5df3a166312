import { Injectable } from '@nestjs/common';
import { RtcTokenService } from '../token-service/rtc-token.service';
import {
  InboundApp,
  post,
  signedEvent,
  SPEC_APP_ID,
  SPEC_CALLBACK_SECRET,
  startInboundApp,
} from '../../test/inbound-app';
import { OnRtcClientMessage, OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcClientMessage, RtcEvent } from './rtc-inbound.types';

@Injectable()
class Inbox {
  readonly events: RtcEvent[] = [];
  readonly messages: RtcClientMessage[] = [];

  @OnRtcEvent('UserJoinRoom')
  joined(event: RtcEvent<{ RoomId: string; UserId: string }>) {
    this.events.push(event);
  }

  @OnRtcClientMessage()
  fromClient(message: RtcClientMessage) {
    this.messages.push(message);
    return { ok: true, from: message.userId };
  }
}

describe('RtcInboundModule: the vertical slice', () => {
  let running: InboundApp;

  beforeAll(async () => {
    running = await startInboundApp({
      inbound: {
        events: { path: '/v1/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        clientMessages: { path: '/v1/rtc/client-messages' },
      },
      providers: [Inbox],
    });
  });
  afterAll(() => running.close());

  it('hands a signed event to its @OnRtcEvent handler and answers 200', async () => {
    const event = signedEvent();
    const response = await post(`${running.url}/v1/rtc/events`, event);
    expect(response.status).toBe(200);
    const inbox = running.app.get(Inbox);
    const handled = inbox.events.find((e) => e.eventId === event.EventId);
    expect(handled).toMatchObject({
      eventType: 'UserJoinRoom',
      appId: SPEC_APP_ID,
      data: { RoomId: 'room1', UserId: 'alice' },
      rawData: event.EventData,
      rawEventTime: '2026-12-07T00:00:00Z',
      problems: [],
    });
    expect(handled?.eventTime).toEqual(new Date('2026-12-07T00:00:00Z'));
  });

  it('hands a client message with a token from RtcTokenService to the handler, with its userId, and returns the acknowledgement', async () => {
    const tokens = running.app.get(RtcTokenService);
    const { token } = await tokens.createLoginToken('user_42');
    const response = await post(`${running.url}/v1/rtc/client-messages`, {
      message: 'hello server',
      binary: false,
      signature: token,
    });
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true, from: 'user_42' });
    expect(running.app.get(Inbox).messages.at(-1)).toEqual({
      userId: 'user_42',
      binary: false,
      message: 'hello server',
    });
  });
});
