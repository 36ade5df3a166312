import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { API_KEY_SECURITY } from '../docs/api-docs.constants';
import { ApiErrorResponses } from '../docs/error-responses';
import { RecentEventResponse } from './recent-event.response';
import { RecentEvents } from './recent-events';

/** What this instance received from RTC lately; behind `x-api-key`, unlike RTC's own routes. */
@ApiTags('rtc')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/rtc/events')
export class RecentEventsController {
  constructor(private readonly recent: RecentEvents) {}

  @Get('recent')
  @ApiOperation({
    summary: 'The events this instance handled lately',
    description:
      'The last 100 event callbacks this instance handled, the most recently handled first. Each counts every verified delivery of it this instance received, duplicates included. Other instances keep lists of their own.',
  })
  @ApiOkResponse({ type: [RecentEventResponse] })
  @ApiErrorResponses([401])
  list(): RecentEventResponse[] {
    return this.recent.list();
  }
}
