import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { APP_FILTER } from '@nestjs/core';
import { RtcMessagingModule } from 'nestjs-volcengine-rtc';
import { checkEnv, rtcConfig, senderPolicyConfig, serverConfig } from './config';
import { HttpErrorFilter } from './errors/http-error.filter';
import { FanOutJobsModule } from './fan-out-jobs/fan-out-jobs.module';
import { HealthModule } from './health/health.module';
import { APP_LOGGER } from './logging/app-logger.token';
import { loggingConfig } from './logging/logging.config';
import { createAppLogger, pinoParams } from './logging/pino-params';
import { MessagesModule } from './messages/messages.module';
import { RoomsModule } from './rooms/rooms.module';
import { TokensModule } from './tokens/tokens.module';
import { rtcInboundConfig } from './rtc-inbound/rtc-inbound.config';
import { RtcInboundDemoModule } from './rtc-inbound/rtc-inbound-demo.module';
import { metricsConfig } from './telemetry/metrics.config';
import { TelemetryFlush } from './telemetry/telemetry-flush';

export interface AppModuleOptions {
  /**
   * The `.env` file to read; variables already in the environment win over it. `false` reads
   * none. Default `.env` in the working directory.
   */
  readonly envFile?: string | false;
  /** Where the app's log lines go; default stdout. */
  readonly logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  /**
   * Async because `ConfigModule.forRoot` is: awaiting it here makes a bad environment reject this
   * call, before Nest starts, rather than surface later as an unhandled rejection.
   * @throws EnvValidationError naming each missing or malformed variable
   */
  static async forRoot({
    envFile = '.env',
    logDestination,
  }: AppModuleOptions = {}): Promise<DynamicModule> {
    const config = await ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: envFile === false,
      envFilePath: envFile === false ? undefined : envFile,
      validate: checkEnv,
      load: [
        serverConfig,
        rtcConfig,
        senderPolicyConfig,
        loggingConfig,
        metricsConfig,
        rtcInboundConfig,
      ],
    });
    // After ConfigModule.forRoot: the environment (and .env) is loaded and valid by now.
    const logger = createAppLogger(loggingConfig(), logDestination);
    return {
      module: AppModule,
      imports: [
        config,
        LoggerModule.forRoot(pinoParams(logger)),
        // Global: the health indicator, in its own module, needs the client and options too.
        RtcMessagingModule.forRootAsync({ ...rtcConfig.asProvider(), isGlobal: true }),
        MessagesModule,
        RoomsModule,
        TokensModule,
        RtcInboundDemoModule.register(logger),
        FanOutJobsModule.register(),
        HealthModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        TelemetryFlush,
        { provide: APP_LOGGER, useValue: logger },
      ],
    };
  }
}
