import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RtcInboundModuleOptions } from './rtc-inbound.options';

export const {
  ConfigurableModuleClass: ConfigurableRtcInboundModule,
  // `RTC_INBOUND_MODULE_OPTIONS`: the options as given (sealed: they hold the callback secret).
  MODULE_OPTIONS_TOKEN: RTC_INBOUND_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RtcInboundModuleOptions>({ moduleName: 'RtcInbound' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRtcInboundOptions')
  .build();

/** What `RtcInboundModule.forRoot` takes. */
export type RtcInboundModuleForRootOptions = typeof OPTIONS_TYPE;

/** What `RtcInboundModule.forRootAsync` takes: `imports`, `inject`, and `useFactory` | `useClass` | `useExisting`. */
export type RtcInboundModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** Injection token of the resolved (validated, defaulted) inbound options. */
export const RTC_INBOUND_OPTIONS = Symbol('RTC_INBOUND_OPTIONS');

/** Injection token of the `RtcEventClaimStore` the module de-duplicates events with. */
export const RTC_EVENT_CLAIM_STORE = Symbol('RTC_EVENT_CLAIM_STORE');
