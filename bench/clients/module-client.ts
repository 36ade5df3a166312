import { NestFactory } from '@nestjs/core';
import { RtcMessagingModule, UnicastService } from '../../libs/rtc-messaging/src';
import { APP_ID, BenchClient, ClientInput, FROM, MESSAGE, TO } from '../lib/workload';

/**
 * (a) The module as an app uses it: `UnicastService` from a Nest application context, with
 * validation, signing and the axios transport; the budget off, retries at their defaults.
 */
export async function createClient(input: ClientInput): Promise<BenchClient> {
  const app = await NestFactory.createApplicationContext(
    RtcMessagingModule.forRoot({
      accessKeyId: input.credentials.accessKeyId,
      secretAccessKey: input.credentials.secretAccessKey,
      appId: APP_ID,
      from: FROM,
      endpoint: input.url,
      rateLimit: false,
    }),
    { logger: ['error', 'warn'] },
  );
  const unicast = app.get(UnicastService);
  return {
    async send() {
      const { message } = await unicast.send({ to: TO, message: MESSAGE });
      if (message !== 'Success') throw new Error(`unexpected Result.Message ${message}`);
    },
    close: () => app.close(),
  };
}
