import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RoomsController } from './rooms.controller';

/** `POST /v1/rooms/:roomId/messages[/unicast|/batch]`; the service comes from the global module. */
@Module({
  controllers: [RoomsController],
  providers: [ApiKeyGuard],
})
export class RoomsModule {}
