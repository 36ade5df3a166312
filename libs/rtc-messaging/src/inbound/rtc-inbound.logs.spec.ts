import { Injectable, LoggerService } from '@nestjs/common';
import { RtcTokenService } from '../token-service/rtc-token.service';
import {
  post,
  signedEvent,
  SPEC_APP_KEY,
  SPEC_CALLBACK_SECRET,
  startInboundApp,
} from '../../test/inbound-app';
import { OnRtcClientMessage, OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcClientMessage } from './rtc-inbound.types';

const MESSAGE = 'the-private-client-message-text';

/** Every line logged, at any level, by the module and by Nest. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private capture = (...parts: unknown[]) => {
    this.lines.push(
      parts.map((part) => (part instanceof Error ? part.stack : String(part))).join(' '),
    );
  };
  log = this.capture;
  warn = this.capture;
  error = this.capture;
  debug = this.capture;
  verbose = this.capture;
  fatal = this.capture;
}

@Injectable()
class Failing {
  mode: 'throw' | 'huge' = 'throw';

  @OnRtcEvent()
  event() {
    throw new Error('event handler failed');
  }

  @OnRtcClientMessage()
  client(message: RtcClientMessage) {
    if (this.mode === 'huge') return 'r'.repeat(70_000);
    throw new Error(`could not store ${String(message.message)}`);
  }
}

describe('RtcInboundModule logs', () => {
  it('never hold a secret, a token, a signature or a message, whatever fails', async () => {
    const logger = new CapturingLogger();
    const running = await startInboundApp({
      inbound: {
        events: {
          path: '/rtc/events',
          callbackSecret: SPEC_CALLBACK_SECRET,
          secondaryCallbackSecret: 'secondary-callback-secret',
        },
        clientMessages: { path: '/rtc/client' },
      },
      providers: [Failing],
      logger,
    });
    try {
      const { token } = await running.app.get(RtcTokenService).createLoginToken('user_1');
      const client = `${running.url}/rtc/client`;
      const events = `${running.url}/rtc/events`;
      const forged = signedEvent({}, 'forged-secret');
      const answers = [
        await post(events, signedEvent()),
        await post(events, forged),
        await post(events, { ...signedEvent(), Nonce: 7 }),
        await post(client, { message: MESSAGE, binary: false, signature: token }),
        await post(client, { message: MESSAGE, binary: false, signature: `${token}x` }),
        await post(client, { message: '', binary: false, signature: token }),
      ];
      running.app.get(Failing).mode = 'huge';
      answers.push(await post(client, { message: MESSAGE, binary: false, signature: token }));
      expect(answers.map((a) => a.status)).toEqual([500, 401, 400, 500, 401, 400, 500]);

      const logged = logger.lines.join('\n');
      // Something was logged: the failures are named, by handler and error class.
      expect(logged).toContain('RTC event handler Failing.event failed');
      expect(logged).toContain('RTC client-message handler Failing.client threw Error');
      expect(logged).toContain('returned 70000 bytes');
      for (const secret of [
        SPEC_CALLBACK_SECRET,
        'secondary-callback-secret',
        SPEC_APP_KEY,
        token,
        forged.Signature,
        MESSAGE,
      ]) {
        expect(logged).not.toContain(secret);
      }
      for (const answer of answers) {
        expect(answer.text).not.toContain(MESSAGE);
        expect(answer.text).not.toContain(token);
      }
    } finally {
      await running.close();
    }
  });

  it('say why deliveries are refused, one line per reason per 10 s with how often, and never a value', async () => {
    const logger = new CapturingLogger();
    const running = await startInboundApp({
      inbound: {
        events: { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET },
        clientMessages: { path: '/rtc/client' },
      },
      providers: [Failing],
      logger,
    });
    // The module's lines, without the context Nest's logger adds.
    const refusals = () =>
      logger.lines
        .filter((line) => line.includes('refused'))
        .map((line) => line.replace(/ RtcMessaging$/, ''));
    let closed = false;
    try {
      const events = `${running.url}/rtc/events`;
      const forged = signedEvent({}, 'forged-secret');
      for (let i = 0; i < 3; i++) expect((await post(events, forged)).status).toBe(401);
      const { EventId: _missing, ...withoutId } = signedEvent();
      expect((await post(events, withoutId)).status).toBe(400);
      const client = `${running.url}/rtc/client`;
      const tooBig = 'x'.repeat(70_000);
      const { token } = await running.app.get(RtcTokenService).createLoginToken('user_1');
      expect(
        (await post(client, { message: tooBig, binary: false, signature: token })).status,
      ).toBe(400);
      // The first of each reason at once; the repeats wait for the window.
      expect(refusals()).toEqual([
        'RTC event callback refused (401): invalid signature',
        'RTC event callback refused (400): EventId (isString)',
        'RTC client message refused (400): message (maxMessageBytes)',
      ]);
      await running.close();
      closed = true;
      // Shutting down writes what was gathered.
      expect(refusals()).toContain(
        'RTC event callback refused (401): invalid signature (2 times since the last report; at most one line per 10 s per message)',
      );
      const logged = logger.lines.join('\n');
      for (const value of [forged.Signature, SPEC_CALLBACK_SECRET, token, tooBig.slice(0, 100)]) {
        expect(logged).not.toContain(value);
      }
    } finally {
      if (!closed) await running.close();
    }
  });
});
