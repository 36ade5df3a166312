import type { INestApplication, LoggerService, Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RtcMessagingModule } from '../src/rtc-messaging.module';
import type { RtcMessagingModuleOptions } from '../src/rtc-messaging.options';
import {
  rtcCallbackSignature,
  RtcCallbackSignedFields,
} from '../src/inbound/rtc-callback-signature';
import { RtcInboundModule } from '../src/inbound/rtc-inbound.module';
import type { RtcInboundModuleOptions } from '../src/inbound/rtc-inbound.options';

/** The AppId, AppKey and callback secret of the specs' app (the first reference vector's AppId). */
export const SPEC_APP_ID = '5f0c3a1b2d4e6f708192a3b4';
export const SPEC_APP_KEY = 'spec-app-key-0123456789abcdef';
export const SPEC_CALLBACK_SECRET = 'spec-callback-secret';

/** The messaging options of the specs' app: nothing leaves loopback. */
export const SPEC_MESSAGING_OPTIONS: RtcMessagingModuleOptions = {
  accessKeyId: 'AKLTspec',
  secretAccessKey: 'spec-secret-access-key',
  appId: SPEC_APP_ID,
  from: 'server_bot',
  endpoint: 'http://127.0.0.1:1',
  appKey: SPEC_APP_KEY,
  rateLimit: false,
};

/** A running app with `RtcInboundModule` on a real HTTP server on port 0. */
export interface InboundApp {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts an app with the messaging module (global), the inbound module and `providers`. */
export async function startInboundApp(options: {
  readonly inbound: RtcInboundModuleOptions;
  readonly providers: Provider[];
  readonly messaging?: Partial<RtcMessagingModuleOptions>;
  readonly logger?: LoggerService;
  /** Nest's own body parsers (default `false`: the module reads the body itself). */
  readonly bodyParser?: boolean;
}): Promise<InboundApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RtcMessagingModule.forRoot({
        ...SPEC_MESSAGING_OPTIONS,
        ...options.messaging,
        ...(options.logger && { logger: options.logger }),
        isGlobal: true,
      }),
      RtcInboundModule.forRoot(options.inbound),
    ],
    providers: options.providers,
  }).compile();
  const app = moduleRef.createNestApplication({
    bodyParser: options.bodyParser ?? false,
    logger: options.logger ?? false,
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

let sequence = 0;

/** A signed event as RTC would POST it: fields given override a fresh `UserJoinRoom`. */
export function signedEvent(
  fields: Partial<RtcCallbackSignedFields> = {},
  secret = SPEC_CALLBACK_SECRET,
): Record<string, string> {
  sequence += 1;
  const signed: RtcCallbackSignedFields = {
    EventType: 'UserJoinRoom',
    EventData: JSON.stringify({ RoomId: 'room1', UserId: 'alice' }),
    EventTime: '2026-12-07T00:00:00Z',
    EventId: `evt-${process.pid}-${Date.now()}-${sequence}`,
    AppId: SPEC_APP_ID,
    Version: '2020-12-01',
    Nonce: String(1000 + (sequence % 9000)),
    ...fields,
  };
  return { ...signed, Signature: rtcCallbackSignature(signed, secret) };
}

/** POSTs `body` (JSON unless a string or bytes) with no content type, as RTC does. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> {
  const payload =
    typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', body: payload, headers });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: (): unknown => JSON.parse(text) as unknown,
    headers: response.headers,
  };
}
