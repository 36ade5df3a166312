import { Injectable, Module, Scope } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { inspect } from 'node:util';
import { RtcInboundConfigurationError } from '../errors';
import { RtcMessagingModule } from '../rtc-messaging.module';
import {
  post,
  signedEvent,
  SPEC_CALLBACK_SECRET,
  SPEC_MESSAGING_OPTIONS,
} from '../../test/inbound-app';
import { RtcInboundModule } from './rtc-inbound.module';
import { RTC_INBOUND_MODULE_OPTIONS, RTC_INBOUND_OPTIONS } from './rtc-inbound.module-definition';
import { OnRtcClientMessage, OnRtcEvent } from './rtc-inbound.decorators';
import type { RtcInboundModuleOptions } from './rtc-inbound.options';
import { resolveInboundOptions } from './rtc-inbound.options';

@Injectable()
class Joined {
  @OnRtcEvent('UserJoinRoom')
  a() {}
}

@Injectable()
class AlsoJoined {
  @OnRtcEvent('UserLeaveRoom', 'UserJoinRoom')
  b() {}
}

@Injectable()
class CatchAll {
  @OnRtcEvent()
  c() {}
}

@Injectable()
class OtherCatchAll {
  @OnRtcEvent()
  d() {}
}

@Injectable()
class Client {
  @OnRtcClientMessage()
  e() {}
}

@Injectable()
class OtherClient {
  @OnRtcClientMessage()
  f() {}
}

@Injectable({ scope: Scope.REQUEST })
class PerRequest {
  @OnRtcEvent('RoomDestroy')
  g() {}
}

const EVENTS = { path: '/rtc/events', callbackSecret: SPEC_CALLBACK_SECRET };

/** The error the app's boot (compile + init) fails with. */
async function bootError(
  inbound: RtcInboundModuleOptions,
  providers: unknown[],
  withMessaging = true,
): Promise<unknown> {
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ...(withMessaging
          ? [RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true })]
          : []),
        RtcInboundModule.forRoot(inbound),
      ],
      providers: providers as never[],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.close();
  } catch (error) {
    return error;
  }
  throw new Error('expected the boot to fail');
}

describe('RtcInboundModule at boot', () => {
  it.each([
    [
      'two handlers of one event type',
      [Joined, AlsoJoined],
      "@OnRtcEvent('UserJoinRoom') is on both Joined.a and AlsoJoined.b; each event type has one handler",
    ],
    [
      'two catch-alls',
      [CatchAll, OtherCatchAll],
      '@OnRtcEvent() (catch-all) is on both CatchAll.c and OtherCatchAll.d; an app has one catch-all',
    ],
    [
      'a handler on a request-scoped provider',
      [PerRequest],
      'PerRequest.g is on a request-scoped provider; RTC handlers must be singletons',
    ],
  ])('refuses %s, naming the methods', async (_case, providers, problem) => {
    const error = await bootError({ events: EVENTS }, providers);
    expect(error).toBeInstanceOf(RtcInboundConfigurationError);
    expect((error as RtcInboundConfigurationError).problems).toContain(problem);
  });

  it('refuses two client-message handlers', async () => {
    const error = await bootError({ clientMessages: { path: '/rtc/client' } }, [
      Client,
      OtherClient,
    ]);
    expect((error as RtcInboundConfigurationError).problems).toEqual([
      '@OnRtcClientMessage() is on both Client.e and OtherClient.f; an app has one client-message handler',
    ]);
  });

  it('refuses a client-message route without a handler, and an event route without any', async () => {
    const error = await bootError({ events: EVENTS, clientMessages: { path: '/rtc/client' } }, []);
    expect((error as RtcInboundConfigurationError).problems).toEqual([
      'events is mounted at /rtc/events but no provider method has @OnRtcEvent()',
      'clientMessages is mounted at /rtc/client but no provider method has @OnRtcClientMessage()',
    ]);
  });

  it('without RtcMessagingModule, needs appIds for events and a verifier for client messages', async () => {
    const error = await bootError(
      { events: EVENTS, clientMessages: { path: '/rtc/client' } },
      [Joined, Client],
      false,
    );
    expect((error as RtcInboundConfigurationError).problems).toEqual([
      'appIds must be given when RtcMessagingModule is not registered (isGlobal: true) beside RtcInboundModule',
      "clientMessages.verifySender 'rtc-token' needs RtcTokenService: register RtcMessagingModule with isGlobal: true, or give verifySender",
    ]);
  });

  it('runs without RtcMessagingModule given appIds and a verifier (memory de-duplication)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcInboundModule.forRoot({
          events: EVENTS,
          clientMessages: { path: '/rtc/client', verifySender: (signature) => signature },
          appIds: [SPEC_MESSAGING_OPTIONS.appId],
        }),
      ],
      providers: [Joined, Client],
    }).compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const event = signedEvent();
      expect((await post(`${url}/rtc/events`, event)).status).toBe(200);
      expect((await post(`${url}/rtc/events`, event)).text).toBe('{"outcome":"duplicate"}');
      const reply = await post(`${url}/rtc/client`, {
        message: 'hi',
        binary: false,
        signature: 'u1',
      });
      expect(reply.status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('refuses malformed options, naming each one and never a value', () => {
    let error: unknown;
    try {
      resolveInboundOptions({
        events: { path: 'rtc/events', callbackSecret: 42, deadlineMs: 0 },
        clientMessages: { path: '/c/:id', verifySender: 'trust-me', maxBodyBytes: -1 },
        appIds: ['bad id!'],
        deduplication: { claimTtlMs: 10, store: {} },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RtcInboundConfigurationError);
    expect((error as RtcInboundConfigurationError).problems).toEqual([
      expect.stringMatching(/^appIds must be a string of 1 to 128 characters/),
      'events.path must start with / and hold only letters, digits, . _ ~ - and /',
      'events.callbackSecret must be a string',
      'events.deadlineMs must not be less than 1',
      'clientMessages.path must start with / and hold only letters, digits, . _ ~ - and /',
      'clientMessages.maxBodyBytes must not be less than 1',
      'deduplication.claimTtlMs must not be less than 1000',
      "clientMessages.verifySender must be 'rtc-token', 'none' or a function",
      'deduplication.store must be an RtcEventClaimStore (claim, state, complete, release)',
    ]);
  });

  it('refuses options without a route', () => {
    expect(() => resolveInboundOptions({})).toThrow(
      'events or clientMessages must be given: the module has no route otherwise',
    );
  });

  it('never shows the callback secrets in the options Nest keeps', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true }),
        RtcInboundModule.forRoot({
          events: { ...EVENTS, secondaryCallbackSecret: 'previous-callback-secret' },
        }),
      ],
      providers: [Joined],
    }).compile();
    const shown = [
      inspect(moduleRef.get(RTC_INBOUND_MODULE_OPTIONS), { showHidden: true, depth: 10 }),
      inspect(moduleRef.get(RTC_INBOUND_OPTIONS), { showHidden: true, depth: 10 }),
      JSON.stringify(moduleRef.get(RTC_INBOUND_OPTIONS)),
    ].join('\n');
    expect(shown).not.toContain(SPEC_CALLBACK_SECRET);
    expect(shown).not.toContain('previous-callback-secret');
    await moduleRef.close();
  });

  it('forRootAsync takes its options from a factory (e.g. ConfigService)', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ SECRET: SPEC_CALLBACK_SECRET })],
        }),
      ],
      exports: [ConfigModule],
    })
    class ConfigHolder {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRoot({ ...SPEC_MESSAGING_OPTIONS, isGlobal: true }),
        RtcInboundModule.forRootAsync({
          imports: [ConfigHolder],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            events: { path: '/rtc/events', callbackSecret: config.getOrThrow<string>('SECRET') },
          }),
        }),
      ],
      providers: [Joined],
    }).compile();
    const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      expect((await post(`${url}/rtc/events`, signedEvent())).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
