import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { MessagesController } from './messages.controller';

/** `POST /v1/messages/unicast` and `/fan-out`; `UnicastService` comes from the global module. */
@Module({
  controllers: [MessagesController],
  providers: [ApiKeyGuard],
})
export class MessagesModule {}
