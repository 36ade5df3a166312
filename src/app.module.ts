import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { RtcMessagingModule } from 'nestjs-volcengine-rtc';
import { checkEnv, rtcConfig, senderPolicyConfig, serverConfig } from './config';
import { HttpErrorFilter } from './errors/http-error.filter';
import { FanOutJobsModule } from './fan-out-jobs/fan-out-jobs.module';
import { HealthModule } from './health/health.module';
import { MessagesModule } from './messages/messages.module';
import { RoomsModule } from './rooms/rooms.module';
import { TokensModule } from './tokens/tokens.module';

export interface AppModuleOptions {
  /**
   * The `.env` file to read; variables already in the environment win over it. `false` reads
   * none. Default `.env` in the working directory.
   */
  readonly envFile?: string | false;
}

@Module({})
export class AppModule {
  /**
   * Async because `ConfigModule.forRoot` is: awaiting it here makes a bad environment reject this
   * call, before Nest starts, rather than surface later as an unhandled rejection.
   * @throws EnvValidationError naming each missing or malformed variable
   */
  static async forRoot({ envFile = '.env' }: AppModuleOptions = {}): Promise<DynamicModule> {
    const config = await ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: envFile === false,
      envFilePath: envFile === false ? undefined : envFile,
      validate: checkEnv,
      load: [serverConfig, rtcConfig, senderPolicyConfig],
    });
    return {
      module: AppModule,
      imports: [
        config,
        // Global: the health indicator, in its own module, needs the client and options too.
        RtcMessagingModule.forRootAsync({ ...rtcConfig.asProvider(), isGlobal: true }),
        MessagesModule,
        RoomsModule,
        TokensModule,
        FanOutJobsModule.register(),
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
