import { Agent, request } from 'node:http';
import { canonicalQueryString, V4Signer } from '../../libs/rtc-messaging/src/signing';
import { BenchClient, ClientInput, unicastBody } from '../lib/workload';

/**
 * (c) The floor: `node:http` with a keep-alive agent and the library's pure `V4Signer`, one
 * signature per request, and only the answer check any client needs. No validation, no Nest, no
 * axios, no rxjs.
 */
export async function createClient(input: ClientInput): Promise<BenchClient> {
  const { hostname, port, host } = new URL(input.url);
  const agent = new Agent({ keepAlive: true });
  const signer = new V4Signer(input.credentials, { region: 'cn-north-1', service: 'rtc' });
  const query = { Action: 'SendUnicast', Version: '2023-07-20' };
  const path = `/?${canonicalQueryString(query)}`;
  // Signed as the module signs them; `Host` is sent exactly as signed.
  const signedHeaders = { 'Content-Type': 'application/json', Host: host };

  const send = () =>
    new Promise<void>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify(unicastBody()), 'utf8');
      const headers = signer.sign({ method: 'POST', query, headers: signedHeaders, body });
      const req = request(
        {
          agent,
          host: hostname,
          port: Number(port),
          path,
          method: 'POST',
          headers: { ...headers, 'Content-Length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                ResponseMetadata?: { Error?: { Code: string } };
                Result?: { Message?: string };
              };
              if (res.statusCode !== 200 || answer.Result?.Message !== 'Success') {
                reject(
                  new Error(`HTTP ${res.statusCode} ${answer.ResponseMetadata?.Error?.Code ?? ''}`),
                );
              } else resolve();
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  return {
    send,
    close: async () => agent.destroy(),
  };
}
