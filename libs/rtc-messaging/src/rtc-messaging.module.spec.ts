import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { RtcConfigurationError } from './errors';
import { RTC_MESSAGING_OPTIONS } from './rtc-messaging.constants';
import { RtcMessagingModule } from './rtc-messaging.module';
import type {
  ResolvedRtcMessagingOptions,
  RtcMessagingModuleOptions,
} from './rtc-messaging.options';
import { UnicastService } from './unicast';

const options: RtcMessagingModuleOptions = {
  accessKeyId: 'AKLTexample',
  secretAccessKey: 'secret',
  appId: 'app-1',
  from: 'server_bot',
  endpoint: 'http://127.0.0.1:1',
};

async function resolvedOptionsOf(imports: unknown[]): Promise<ResolvedRtcMessagingOptions> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
  expect(moduleRef.get(UnicastService)).toBeInstanceOf(UnicastService);
  const resolved = moduleRef.get<ResolvedRtcMessagingOptions>(RTC_MESSAGING_OPTIONS);
  await moduleRef.close();
  return resolved;
}

@Injectable()
class RtcOptionsFactory {
  createRtcMessagingOptions(): RtcMessagingModuleOptions {
    return { ...options, appId: 'from-class' };
  }
}

@Module({ providers: [RtcOptionsFactory], exports: [RtcOptionsFactory] })
class OptionsFactoryModule {}

describe('RtcMessagingModule registration', () => {
  it('forRoot takes static options', async () => {
    const resolved = await resolvedOptionsOf([RtcMessagingModule.forRoot(options)]);
    expect(resolved.appId).toBe('app-1');
  });

  it('forRootAsync useFactory reads ConfigService', async () => {
    const resolved = await resolvedOptionsOf([
      RtcMessagingModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({
            ignoreEnvFile: true,
            load: [() => ({ RTC_APP_ID: 'from-config' })],
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          ...options,
          appId: config.getOrThrow<string>('RTC_APP_ID'),
        }),
      }),
    ]);
    expect(resolved.appId).toBe('from-config');
  });

  it('forRootAsync useClass instantiates the factory class', async () => {
    const resolved = await resolvedOptionsOf([
      RtcMessagingModule.forRootAsync({ useClass: RtcOptionsFactory }),
    ]);
    expect(resolved.appId).toBe('from-class');
  });

  it('forRootAsync useExisting reuses a provider from an imported module', async () => {
    const resolved = await resolvedOptionsOf([
      RtcMessagingModule.forRootAsync({
        imports: [OptionsFactoryModule],
        useExisting: RtcOptionsFactory,
      }),
    ]);
    expect(resolved.appId).toBe('from-class');
  });

  it('isGlobal makes UnicastService injectable in modules that do not import it', async () => {
    @Injectable()
    class Notifier {
      constructor(readonly unicast: UnicastService) {}
    }
    @Module({ providers: [Notifier] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [RtcMessagingModule.forRoot({ ...options, isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.get(Notifier).unicast).toBeInstanceOf(UnicastService);
    await moduleRef.close();
  });

  it('without isGlobal, a module that does not import it cannot inject UnicastService', async () => {
    @Injectable()
    class Notifier {
      constructor(readonly unicast: UnicastService) {}
    }
    @Module({ providers: [Notifier] })
    class FeatureModule {}

    await expect(
      Test.createTestingModule({
        imports: [RtcMessagingModule.forRoot(options), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/UnicastService/);
  });

  it('stops the boot on invalid options, naming the option and not its value', async () => {
    const boot = Test.createTestingModule({
      imports: [
        RtcMessagingModule.forRootAsync({
          useFactory: () => ({ ...options, secretAccessKey: '', from: 'not valid!' }),
        }),
      ],
    }).compile();
    await expect(boot).rejects.toThrow(RtcConfigurationError);
    await expect(boot).rejects.toThrow(/secretAccessKey should not be empty.*from must be/);
  });
});
