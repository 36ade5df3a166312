import { ApiProperty } from '@nestjs/swagger';
import type { RecentEvent } from './recent-events';

/** One event of `GET /v1/rtc/events/recent`; `implements` keeps it in step with the store. */
export class RecentEventResponse implements RecentEvent {
  @ApiProperty({
    description: '`EventId`, the key events are de-duplicated by.',
    example: 'c1d5e7f0a9b84c2e9d3f',
  })
  eventId!: string;

  @ApiProperty({ description: '`EventType`.', example: 'UserJoinRoom' })
  eventType!: string;

  @ApiProperty({ description: '`AppId`.', example: '661e000000000000000543cf' })
  appId!: string;

  @ApiProperty({ description: '`EventTime` as RTC sent it.', example: '2026-12-07T00:00:00Z' })
  eventTime!: string;

  @ApiProperty({
    description: 'When this instance first received the event, ISO-8601.',
    example: '2026-12-07T00:00:00.123Z',
  })
  receivedAt!: string;

  @ApiProperty({
    description:
      'Every verified delivery of the event this instance received: retries and duplicates included (answered 200 without running the handler again).',
    example: 2,
  })
  deliveries!: number;
}
