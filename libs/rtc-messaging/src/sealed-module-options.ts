import type { DynamicModule, FactoryProvider, Provider, ValueProvider } from '@nestjs/common';
import { RTC_MESSAGING_MODULE_OPTIONS } from './rtc-messaging.module-definition';
import type { RtcMessagingModuleOptions } from './rtc-messaging.options';

/**
 * The options as given to `forRoot` / `forRootAsync`, held in a `#private` field: they carry the
 * secret key, the session token and a Redis URL with its password, and Nest keeps them as a
 * provider for the life of the app, where `util.inspect` of the container (or of `ModuleRef`)
 * would otherwise print them. This is what `RTC_MESSAGING_MODULE_OPTIONS` holds.
 */
export class SealedModuleOptions<T = RtcMessagingModuleOptions> {
  readonly #options: T;

  constructor(options: T) {
    this.#options = options;
  }

  /** The options exactly as given, before validation. */
  get options(): T {
    return this.#options;
  }
}

/**
 * The options as given, whether sealed by `forRoot` / `forRootAsync` or provided plainly (as the
 * testing module and `overrideProvider(RTC_MESSAGING_MODULE_OPTIONS)` do).
 */
export const unsealOptions = <T = RtcMessagingModuleOptions>(
  options: SealedModuleOptions<T> | T,
): T => (options instanceof SealedModuleOptions ? options.options : options);

const isOptionsProvider = (
  provider: Provider,
  token: unknown,
): provider is ValueProvider<unknown> | FactoryProvider =>
  typeof provider === 'object' && provider.provide === token;

/**
 * `definition` with its options provider (`token`, by default `RTC_MESSAGING_MODULE_OPTIONS`: a
 * value for `forRoot`, a factory for every `forRootAsync` style) sealing the options it provides.
 */
export function sealOptionsOf(
  definition: DynamicModule,
  token: unknown = RTC_MESSAGING_MODULE_OPTIONS,
): DynamicModule {
  return {
    ...definition,
    providers: definition.providers?.map((provider): Provider => {
      if (!isOptionsProvider(provider, token)) return provider;
      if ('useValue' in provider) {
        return { provide: provider.provide, useValue: new SealedModuleOptions(provider.useValue) };
      }
      const { useFactory } = provider;
      return {
        ...provider,
        useFactory: async (...args: unknown[]) =>
          new SealedModuleOptions(await useFactory(...args)),
      };
    }),
  };
}
