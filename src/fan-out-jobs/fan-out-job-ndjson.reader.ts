import { StringDecoder } from 'node:string_decoder';
import { BadRequestException } from '@nestjs/common';
import { FieldViolation, RtcValidationError } from 'nestjs-volcengine-rtc';

/** `application/x-ndjson`, with or without parameters. */
export const NDJSON_MEDIA_TYPE = /^\s*application\/x-ndjson\s*(?:;|$)/i;

/** How long one line may be, in UTF-16 code units (about bytes for JSON, which is mostly ASCII). */
export interface NdjsonLineLimits {
  /** The first line: the job without `to` (its message may be 64 KB, escaped). */
  readonly maxHeaderLength: number;
  /** Each recipient line: a JSON string of an id (at most 130 characters when well formed). */
  readonly maxRecipientLength: number;
}

/**
 * The recipients of an NDJSON body, one JSON string per line after the first, read from the
 * request as the job's creation pulls them: never the whole list in memory. Iterable once.
 */
export class StreamedRecipients implements AsyncIterable<string> {
  #lines: AsyncIterator<string> | undefined;

  constructor(
    lines: AsyncIterator<string>,
    private readonly maxLength: number,
  ) {
    this.#lines = lines;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    const lines = this.#lines;
    if (!lines) throw new Error('the recipients of a request body can be read only once');
    this.#lines = undefined;
    // Line 1 is the job; recipient `index` is on line `index + 2`.
    for (let index = 0, step = await lines.next(); !step.done; step = await lines.next()) {
      const line = step.value;
      if (line.trim() === '') continue; // a blank line (a trailing one, say) names no one
      yield recipientOf(line, index, this.maxLength);
      index++;
    }
  }
}

/** A recipient line's id, or a 400 naming `to[index]`. */
function recipientOf(line: string, index: number, maxLength: number): string {
  const text = line.trim();
  // The common case without JSON.parse: a quoted id with nothing to unescape.
  if (text.length <= maxLength && /^"[^"\\]*"$/.test(text)) return text.slice(1, -1);
  let value: unknown;
  if (text.length <= maxLength) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
  }
  if (typeof value === 'string') return value;
  const field = `to[${index}]`;
  throw new RtcValidationError([
    {
      field,
      rule: 'ndjsonRecipient',
      message: `${field} (line ${(index + 2).toLocaleString('en-US')}) must be a JSON string of at most ${maxLength} characters on a line of its own`,
    },
  ]);
}

/** One violation of the body as a whole. */
const bodyViolation = (rule: string, message: string): RtcValidationError =>
  new RtcValidationError([{ field: '(body)', rule, message } satisfies FieldViolation]);

/**
 * The lines of `body`, without their `\n`. A line longer than `maxLength(lineNumber)` fails at
 * once, before the rest of it is read: memory stays bounded by the limits, whatever is sent.
 */
async function* linesOf(
  body: AsyncIterable<Buffer | string>,
  maxLength: (lineNumber: number) => number,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNumber = 1;
  const tooLong = () =>
    lineNumber === 1
      ? bodyViolation(
          'ndjsonHeader',
          `the first line (the job) must be at most ${maxLength(1).toLocaleString('en-US')} characters`,
        )
      : new RtcValidationError([
          {
            field: `to[${lineNumber - 2}]`,
            rule: 'ndjsonRecipient',
            message: `to[${lineNumber - 2}] (line ${lineNumber.toLocaleString('en-US')}) must be a JSON string of at most ${maxLength(lineNumber)} characters on a line of its own`,
          },
        ]);
  try {
    for await (const chunk of body) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let start = 0;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        if (end - start > maxLength(lineNumber) + 1) throw tooLong();
        yield pending.slice(start, end);
        lineNumber++;
        start = end + 1;
      }
      pending = pending.slice(start);
      if (pending.length > maxLength(lineNumber) + 1) throw tooLong();
    }
  } catch (error) {
    if (error instanceof RtcValidationError) throw error;
    // The client went away or the connection broke mid-body: nobody may be reading the answer.
    throw new BadRequestException('the request body ended before it was complete');
  }
  pending += decoder.end();
  if (pending !== '') yield pending;
}

/**
 * Reads the first line of an NDJSON job body (`{ message, binary?, from?, appId?, atLeastOnce? }`,
 * the job without `to`) and hands back the recipients that follow, one JSON string per line, as
 * {@link StreamedRecipients}, still unread.
 * @throws RtcValidationError naming `(body)` when the first line is missing, too long or not a
 *   JSON object, or `to` when it holds the recipients
 */
export async function readNdjsonFanOutJob(
  body: AsyncIterable<Buffer | string>,
  limits: NdjsonLineLimits,
): Promise<{ readonly job: Record<string, unknown>; readonly to: StreamedRecipients }> {
  const lines = linesOf(body, (lineNumber) =>
    lineNumber === 1 ? limits.maxHeaderLength : limits.maxRecipientLength,
  );
  const first = await lines.next();
  let job: unknown;
  try {
    job = first.done ? undefined : JSON.parse(first.value);
  } catch {
    job = undefined;
  }
  if (typeof job !== 'object' || job === null || Array.isArray(job)) {
    await lines.return(undefined);
    throw bodyViolation(
      'ndjsonHeader',
      'the first line of an application/x-ndjson body must be the job as a JSON object, without to: {"message":…}',
    );
  }
  if ('to' in job) {
    await lines.return(undefined);
    throw new RtcValidationError([
      {
        field: 'to',
        rule: 'ndjsonHeader',
        message:
          'to must not be in the first line of an application/x-ndjson body: one recipient id per line follows it',
      },
    ]);
  }
  return {
    job: job as Record<string, unknown>,
    to: new StreamedRecipients(lines, limits.maxRecipientLength),
  };
}
