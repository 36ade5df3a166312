import { request } from 'node:http';
import { Readable } from 'node:stream';

/**
 * An `application/x-ndjson` job body for `POST /v1/fan-outs`: the job's line, then `user_0` …
 * `user_<recipients - 1>`, one JSON string per line, made as it is read (about 64 KB at a time),
 * so the client never holds the list either.
 */
export function ndjsonJobBody(job: object, recipients: number): Readable {
  function* chunks(): Generator<string> {
    yield `${JSON.stringify(job)}\n`;
    let chunk = '';
    for (let i = 0; i < recipients; i++) {
      chunk += `"user_${i}"\n`;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** POSTs `body` to `url` with `headers`; resolves the status and the parsed JSON answer. */
export function postStream(
  url: string,
  headers: Record<string, string>,
  body: Readable,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as Record<string, unknown>,
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    // A creation of a million ids takes seconds; ten minutes means something is stuck.
    req.setTimeout(600_000, () => req.destroy(new Error('no answer within 10 minutes')));
    body.on('error', (error) => req.destroy(error));
    body.pipe(req);
  });
}
