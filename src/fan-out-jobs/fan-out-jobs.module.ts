import { DynamicModule, Module } from '@nestjs/common';
import { ConditionalModule, ConfigModule } from '@nestjs/config';
import { RtcFanOutJobsModule } from 'nestjs-volcengine-rtc/jobs';
import { validateEnv } from '../config/env.schema';
import { fanOutJobsConfig, FanOutJobsConfig, jobsEnabled } from './fan-out-jobs.config';
import { FanOutJobRequestPipe } from './fan-out-job-request.pipe';
import { FanOutJobsController } from './fan-out-jobs.controller';
import { JobsConfiguredGuard } from './jobs-configured.guard';

/**
 * `/v1/fan-outs`: the library's jobs module, registered only with `REDIS_URL` (the routes answer
 * 503 without it). `UnicastService` comes from the global messaging module, so the workers share
 * its budget, in Redis, with every instance.
 */
@Module({})
export class FanOutJobsModule {
  /** Call after `ConfigModule.forRoot` has loaded the environment (the queue name is read here). */
  static register(): DynamicModule {
    return {
      module: FanOutJobsModule,
      imports: [
        ConfigModule.forFeature(fanOutJobsConfig),
        ConditionalModule.registerWhen(
          RtcFanOutJobsModule.forRootAsync({
            isGlobal: true,
            queueName: validateEnv(process.env).FAN_OUT_JOB_QUEUE,
            imports: [ConfigModule.forFeature(fanOutJobsConfig)],
            inject: [fanOutJobsConfig.KEY],
            useFactory: (config: FanOutJobsConfig) => config.library,
          }),
          jobsEnabled,
          // Its debug line would print the condition's source at every boot.
          { debug: false },
        ),
      ],
      controllers: [FanOutJobsController],
      providers: [JobsConfiguredGuard, FanOutJobRequestPipe],
    };
  }
}
