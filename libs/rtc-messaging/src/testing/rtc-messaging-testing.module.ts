import { HttpService } from '@nestjs/axios';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { RtcDispatcher } from '../dispatch/rtc-dispatcher';
import { RTC_MESSAGING_MODULE_OPTIONS } from '../rtc-messaging.module-definition';
import { RtcMessagingModule } from '../rtc-messaging.module';
import {
  RTC_CALL_BUDGET,
  RTC_HTTP_SERVICE,
  RTC_MESSAGING_OPTIONS,
} from '../rtc-messaging.constants';
import type { RtcMessagingModuleOptions } from '../rtc-messaging.options';
import { RtcOpenApiClient } from '../transport';
import { nestAxios } from '../transport/nest-axios';
import { RtcMessagingRecorder } from './rtc-messaging.recorder';

/**
 * Options of `RtcMessagingTestingModule.forRoot`: any option of the real module (validated the same
 * way), all optional, plus `isGlobal`.
 */
export interface RtcMessagingTestingOptions extends Partial<RtcMessagingModuleOptions> {
  /**
   * Register the module globally, so feature modules under test need not import anything.
   * Default `true` (unlike the real module): a test's root module is where it belongs.
   */
  isGlobal?: boolean;
}

/** The fake options the testing module runs with unless told otherwise. */
export const RTC_MESSAGING_TESTING_DEFAULTS = Object.freeze({
  accessKeyId: 'AKLTtestingKey',
  secretAccessKey: 'testing-secret',
  appId: 'testing-app',
  from: 'testing_bot',
  // Calls never leave the process, so there is nothing to pace.
  rateLimit: false,
}) satisfies RtcMessagingModuleOptions;

/**
 * The transport, as the health indicator and any direct caller see it: `call` is recorded like a
 * dispatched call, and `probe` answers at once, so a health check reports `up`.
 */
class OfflineRtcOpenApiClient implements Pick<RtcOpenApiClient, 'call' | 'probe'> {
  constructor(private readonly recorder: RtcMessagingRecorder) {}

  call<TResult>(action: string, body: object) {
    return this.recorder.dispatch<TResult>(
      action as Parameters<RtcMessagingRecorder['dispatch']>[0],
      body as Parameters<RtcMessagingRecorder['dispatch']>[1],
    );
  }

  async probe(): Promise<{ status: number; latencyMs: number }> {
    return { status: 200, latencyMs: 0 };
  }
}

/** What the real module provides that talks to, or paces calls to, the upstream. */
const REPLACED_TOKENS = new Set<unknown>([
  RTC_MESSAGING_MODULE_OPTIONS,
  RTC_HTTP_SERVICE,
  RTC_CALL_BUDGET,
  RtcOpenApiClient,
  RtcDispatcher,
]);

const tokenOf = (provider: Provider): unknown =>
  typeof provider === 'function' ? provider : provider.provide;

/**
 * `RtcMessagingModule` for unit and integration tests: the real services (`UnicastService` and every
 * other service of the module), validating their input exactly as in production, with the upstream
 * replaced by an in-memory {@link RtcMessagingRecorder}. Nothing goes over the network; there is no
 * rate limit and no retry; `failNext` makes calls fail with the errors production raises.
 *
 * @example A feature module that injects UnicastService without importing the real module
 * const moduleRef = await Test.createTestingModule({
 *   imports: [RtcMessagingTestingModule.forRoot(), NotificationsModule],
 * }).compile();
 * const recorder = moduleRef.get(RtcMessagingRecorder);
 *
 * @example An app module that imports the real module: keep its registration in a constant
 * export const rtcMessaging = RtcMessagingModule.forRootAsync({ ... }); // in app.module.ts
 * await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideModule(rtcMessaging)
 *   .useModule(RtcMessagingTestingModule.forRoot())
 *   .compile();
 */
@Module({})
export class RtcMessagingTestingModule {
  /**
   * @param options any option of the real module; fake credentials, `appId: 'testing-app'` and
   * `from: 'testing_bot'` unless given. Invalid options fail the test module's compile with
   * `RtcConfigurationError`, as they would fail the app's boot.
   */
  static forRoot(options: RtcMessagingTestingOptions = {}): DynamicModule {
    const { isGlobal = true, ...moduleOptions } = options;
    // The real module's own list, so every service it gains is covered without a change here.
    const realProviders = (Reflect.getMetadata('providers', RtcMessagingModule) ??
      []) as Provider[];
    const realExports = (Reflect.getMetadata('exports', RtcMessagingModule) ?? []) as unknown[];
    return {
      module: RtcMessagingTestingModule,
      global: isGlobal,
      providers: [
        {
          provide: RTC_MESSAGING_MODULE_OPTIONS,
          useValue: { ...RTC_MESSAGING_TESTING_DEFAULTS, ...moduleOptions },
        },
        ...realProviders.filter((provider) => !REPLACED_TOKENS.has(tokenOf(provider))),
        RtcMessagingRecorder,
        { provide: RtcDispatcher, useExisting: RtcMessagingRecorder },
        {
          provide: RtcOpenApiClient,
          inject: [RtcMessagingRecorder],
          useFactory: (recorder: RtcMessagingRecorder) => new OfflineRtcOpenApiClient(recorder),
        },
        { provide: RTC_CALL_BUDGET, useValue: null },
        // The app's providers that add interceptors to RTC_HTTP_SERVICE still resolve; nothing
        // goes through it (calls are recorded), and a request sent on it directly fails.
        {
          provide: RTC_HTTP_SERVICE,
          useFactory: () =>
            new HttpService(
              nestAxios.create({
                adapter: () =>
                  Promise.reject(new Error('RtcMessagingTestingModule sends nothing over HTTP')),
              }) as unknown as ConstructorParameters<typeof HttpService>[0],
            ),
        },
      ],
      exports: [
        ...new Set([...realExports, RtcOpenApiClient, RTC_MESSAGING_OPTIONS, RtcMessagingRecorder]),
      ] as DynamicModule['exports'],
    };
  }
}
