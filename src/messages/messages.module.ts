import { Module } from '@nestjs/common';
import { MessagesController } from './messages.controller';

/** `POST /v1/messages/unicast` and `/fan-out`; `UnicastService` comes from the global module. */
@Module({
  controllers: [MessagesController],
})
export class MessagesModule {}
