/**
 * The app module as `nest new` writes it today (@nestjs/cli 12, the ESM TypeScript template with
 * the observability prompt answered yes, its default): `createObserveModule()` here, its
 * `ObserveInstrument` passed to `NestFactory.create` in main.ts, so every provider is wrapped in
 * @nestjs/observe's proxy. Plus what this package adds: messaging, tokens, health and jobs.
 * Options come from the environment that main.ts sets before it imports this file.
 */
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { createObserveModule } from '@nestjs/observe';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { RtcMessagingModule, RtcTokenService, UnicastService } from 'nestjs-volcengine-rtc';
import { RtcMessagingHealthIndicator } from 'nestjs-volcengine-rtc/health';
import { FanOutJobs, RtcFanOutJobsModule } from 'nestjs-volcengine-rtc/jobs';

export const { ObserveModule, ObserveInstrument } = createObserveModule();

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

@Controller()
class MessagingController {
  constructor(
    private readonly tokens: RtcTokenService,
    private readonly unicast: UnicastService,
    private readonly jobs: FanOutJobs,
    private readonly health: HealthCheckService,
    private readonly rtc: RtcMessagingHealthIndicator,
  ) {}

  @Get('tokens/:userId')
  async token(@Param('userId') userId: string) {
    const { token, expiresAt } = await this.tokens.createLoginToken(userId);
    const verdict = await this.tokens.verifyToken(token, { userId });
    return { token, expiresAt, valid: verdict.valid };
  }

  @Post('messages')
  async send(@Body() body: { to: string; message: string }) {
    return this.unicast.sendText(body.to, body.message);
  }

  @Post('fan-outs')
  async fanOut(@Body() body: { to: string[]; message: string }) {
    return this.jobs.create({ to: body.to, message: body.message });
  }

  @Get('fan-outs/:id')
  async job(@Param('id') id: string) {
    return this.jobs.get(id);
  }

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.rtc.isHealthy('rtc', { timeoutMs: 2_000 })]);
  }
}

@Module({
  imports: [
    // Distributed tracing, auto-correlated logs, request/job metrics, error
    // telemetry, alarms, and more — out of the box. Sign up at https://observe.nestjs.com
    ObserveModule.forRoot({
      appKey: 'YOUR_APP_KEY',
      appSecret: 'YOUR_APP_SECRET',
      serviceId: 'rtc-packaging-observe',
      // A collector on loopback that main.ts runs: nothing leaves the machine.
      endpoint: env('OBSERVE_ENDPOINT'),
    }),
    RtcMessagingModule.forRoot({
      accessKeyId: env('VOLC_ACCESSKEY'),
      secretAccessKey: env('VOLC_SECRETKEY'),
      appId: env('RTC_APP_ID'),
      appKey: env('RTC_APP_KEY'),
      from: 'observe_bot',
      endpoint: env('RTC_ENDPOINT'),
      isGlobal: true,
    }),
    RtcFanOutJobsModule.forRoot({
      connection: env('REDIS_URL'),
      queueName: env('JOBS_NAME'),
      keyPrefix: env('JOBS_NAME'),
    }),
    TerminusModule,
  ],
  controllers: [MessagingController],
  providers: [RtcMessagingHealthIndicator],
})
export class AppModule {}
