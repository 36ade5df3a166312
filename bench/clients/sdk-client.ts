import { Service } from '@volcengine/openapi';
import { BenchClient, ClientInput, unicastBody } from '../lib/workload';

/**
 * (b) The official SDK, `@volcengine/openapi`, as its docs configure a service: it has no port
 * option, so the port goes into `host` (the URL is `${protocol}//${host}/?…`). It signs only
 * X-Date and X-Content-Sha256 (not host or content-type), and returns error envelopes instead of
 * throwing, so the envelope is checked here.
 */
export async function createClient(input: ClientInput): Promise<BenchClient> {
  const { host } = new URL(input.url); // "127.0.0.1:PORT"
  const service = new Service({
    host,
    protocol: 'http:',
    region: 'cn-north-1',
    serviceName: 'rtc',
    accessKeyId: input.credentials.accessKeyId,
    secretKey: input.credentials.secretAccessKey,
  });
  const sendUnicast = service.createJSONAPI('SendUnicast', { Version: '2023-07-20' });
  return {
    async send() {
      const answer = await sendUnicast(unicastBody());
      const error = answer?.ResponseMetadata?.Error;
      if (error) throw new Error(`upstream ${error.Code}: ${error.Message}`);
      const result = answer.Result as { Message?: string } | undefined;
      if (result?.Message !== 'Success') {
        throw new Error(`unexpected answer ${JSON.stringify(answer).slice(0, 200)}`);
      }
    },
    close: async () => undefined,
  };
}
