import type { DynamicModule } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { RtcMessagingModule } from '../src/rtc-messaging.module';
import type { RtcMessagingModuleForRootOptions } from '../src/rtc-messaging.module-definition';
import type { RtcMessagingModuleOptions } from '../src/rtc-messaging.options';
import { EMULATOR_DEMO_CREDENTIALS, RtcOpenApiEmulator } from '../src/testing/emulator';

/**
 * The library's specs that go over HTTP: a compiled `RtcMessagingModule` signed with the
 * emulator's demo credentials and pointed at `emulator`, with `options` over the test defaults.
 */
export function compileAgainst(
  emulator: RtcOpenApiEmulator,
  options: Partial<RtcMessagingModuleOptions> = {},
): Promise<TestingModule> {
  return Test.createTestingModule({
    imports: [messagingModuleAt(emulator.url, options)],
  }).compile();
}

/**
 * `RtcMessagingModule` with the test defaults (the emulator's demo credentials, AppId `app`, From
 * `server_bot`) pointed at `endpoint`, `options` over them: to import beside other modules.
 */
export function messagingModuleAt(
  endpoint: string,
  options: Partial<RtcMessagingModuleForRootOptions> = {},
): DynamicModule {
  return RtcMessagingModule.forRoot({
    ...EMULATOR_DEMO_CREDENTIALS,
    appId: 'app',
    from: 'server_bot',
    endpoint,
    ...options,
  });
}
