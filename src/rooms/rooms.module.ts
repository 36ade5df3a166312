import { Module } from '@nestjs/common';
import { RoomsController } from './rooms.controller';

/** `POST /v1/rooms/:roomId/messages[/unicast|/batch]`; the service comes from the global module. */
@Module({
  controllers: [RoomsController],
})
export class RoomsModule {}
