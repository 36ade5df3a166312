import { DynamicModule, Module } from '@nestjs/common';
import {
  RTC_CALL_BUDGET,
  RTC_HTTP_SERVICE,
  RTC_MESSAGING_OPTIONS,
} from './rtc-messaging.constants';
import {
  ConfigurableRtcMessagingModule,
  RTC_MESSAGING_MODULE_OPTIONS,
  RtcMessagingModuleAsyncOptions,
  RtcMessagingModuleForRootOptions,
} from './rtc-messaging.module-definition';
import {
  resolveOptions,
  ResolvedRtcMessagingOptions,
  RtcMessagingModuleOptions,
} from './rtc-messaging.options';
import { RTC_SERVICE } from './rtc-openapi.constants';
import { backoffDelayMs } from './retry/retry-policy';
import { CredentialsProvider } from './signing';
import { SealedModuleOptions, sealOptionsOf, unsealOptions } from './sealed-module-options';
import { RtcOpenApiClient, rtcHttpServiceProvider } from './transport';
import { RtcDispatcher } from './dispatch/rtc-dispatcher';
import { callBudgetProvider } from './rate-limit/call-budget.provider';
import { RoomMessagingService } from './room';
import { UnicastService } from './unicast';
import { RTC_TOKEN_CLOCK, RtcTokenService, SystemTokenClock } from './token-service';

/**
 * Backoff of a failed credentials refresh: the first retry within a second, then doubling, at
 * most a minute apart (full jitter below each ceiling, as the calls' own retries).
 */
const CREDENTIALS_RETRY_BACKOFF = { baseDelayMs: 1_000, maxDelayMs: 60_000 };

/**
 * Sends Volcengine RTC server messages from a Nest application.
 *
 * @example Static options
 * RtcMessagingModule.forRoot({ accessKeyId, secretAccessKey, appId, from: 'server_bot', isGlobal: true })
 *
 * @example Options from `@nestjs/config`
 * RtcMessagingModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     accessKeyId: config.getOrThrow('VOLC_ACCESSKEY'),
 *     secretAccessKey: config.getOrThrow('VOLC_SECRETKEY'),
 *     appId: config.getOrThrow('RTC_APP_ID'),
 *     from: config.getOrThrow('RTC_FROM'),
 *   }),
 * })
 */
@Module({
  providers: [
    {
      provide: RTC_MESSAGING_OPTIONS,
      inject: [RTC_MESSAGING_MODULE_OPTIONS],
      // Validated once, when the app boots: a bad option stops the boot naming the option.
      useFactory: (options: SealedModuleOptions | RtcMessagingModuleOptions) =>
        resolveOptions(unsealOptions(options)),
    },
    {
      provide: CredentialsProvider,
      inject: [RTC_MESSAGING_OPTIONS],
      // Async: the `credentials` function is first called at boot, and its failure stops the boot.
      useFactory: (options: ResolvedRtcMessagingOptions) =>
        CredentialsProvider.start(options.credentials, {
          scope: { region: options.region, service: RTC_SERVICE },
          backoffMs: (attempt) => backoffDelayMs(attempt, undefined, CREDENTIALS_RETRY_BACKOFF),
          logger: options.logger,
        }),
    },
    rtcHttpServiceProvider,
    callBudgetProvider,
    RtcOpenApiClient,
    RtcDispatcher,
    UnicastService,
    RoomMessagingService,
    // A provider, so a test can set the time: `.overrideProvider(RTC_TOKEN_CLOCK).useValue(...)`.
    { provide: RTC_TOKEN_CLOCK, useClass: SystemTokenClock },
    RtcTokenService,
  ],
  exports: [
    UnicastService,
    RoomMessagingService,
    RtcTokenService,
    RtcOpenApiClient,
    RTC_MESSAGING_OPTIONS,
    // For the health indicator: readiness follows the budget's store (null with rateLimit: false).
    RTC_CALL_BUDGET,
    // For interceptors on the module's calls (see RTC_HTTP_SERVICE).
    RTC_HTTP_SERVICE,
  ],
})
export class RtcMessagingModule extends ConfigurableRtcMessagingModule {
  /** Registers the module with static options (and `isGlobal`). */
  static forRoot(options: RtcMessagingModuleForRootOptions): DynamicModule {
    // Sealed: the options hold secrets, and Nest keeps them as a provider (see SealedModuleOptions).
    return sealOptionsOf(super.forRoot(options));
  }

  /** Registers the module with options from a factory, a class or an existing provider. */
  static forRootAsync(options: RtcMessagingModuleAsyncOptions): DynamicModule {
    return sealOptionsOf(super.forRootAsync(options));
  }
}
