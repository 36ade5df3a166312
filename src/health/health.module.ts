import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RtcMessagingHealthIndicator } from 'nestjs-volcengine-rtc/health';
import { HealthController } from './health.controller';

@Module({
  // One line per failed check, like every other log line of the app.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [RtcMessagingHealthIndicator],
})
export class HealthModule {}
