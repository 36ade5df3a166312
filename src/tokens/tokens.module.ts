import { Module } from '@nestjs/common';
import { AppKeyConfiguredGuard } from './app-key-configured.guard';
import { TokensController } from './tokens.controller';

/** `POST /v1/tokens/login` and `/room`; `RtcTokenService` comes from the global module. */
@Module({
  controllers: [TokensController],
  providers: [AppKeyConfiguredGuard],
})
export class TokensModule {}
