import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RtcMessagingModuleOptions } from './rtc-messaging.options';

/** Extras of `forRoot` / `forRootAsync` beside the options themselves. */
export interface RtcMessagingModuleExtras {
  /** Register the module globally, so feature modules need not import it. Default `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableRtcMessagingModule,
  // `RTC_MESSAGING_MODULE_OPTIONS`: the options as given, before validation.
  MODULE_OPTIONS_TOKEN: RTC_MESSAGING_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RtcMessagingModuleOptions>({ moduleName: 'RtcMessaging' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRtcMessagingOptions')
  .setExtras<RtcMessagingModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** What `RtcMessagingModule.forRoot` takes: the options and `isGlobal`. */
export type RtcMessagingModuleForRootOptions = typeof OPTIONS_TYPE;

/** What `RtcMessagingModule.forRootAsync` takes: `imports`, `inject`, and `useFactory` | `useClass` | `useExisting`. */
export type RtcMessagingModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
