import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { RtcSendResult, SendUnicastDto, UnicastService } from 'nestjs-volcengine-rtc';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SendUnicastValidationPipe } from './send-unicast.validation-pipe';

@Controller('v1/messages')
@UseGuards(ApiKeyGuard)
export class MessagesController {
  constructor(private readonly unicast: UnicastService) {}

  /**
   * Sends one message to one RTC user. 200, not 201: the upstream accepted the message, and
   * nothing was created here that a client could fetch.
   */
  @Post('unicast')
  @HttpCode(HttpStatus.OK)
  sendUnicast(@Body(SendUnicastValidationPipe) message: SendUnicastDto): Promise<RtcSendResult> {
    return this.unicast.send(message);
  }
}
