import { BadRequestException } from '@nestjs/common';
import { RtcValidationError } from 'nestjs-volcengine-rtc';
import { readNdjsonFanOutJob } from './fan-out-job-ndjson.reader';

const LIMITS = { maxHeaderLength: 200, maxRecipientLength: 20 };

/** A body arriving in the given chunks (split anywhere, as sockets do). */
async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part, 'utf8');
}

async function all(iterable: AsyncIterable<string>): Promise<string[]> {
  const items: string[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function violationsOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RtcValidationError);
  return (error as RtcValidationError).violations;
}

describe('readNdjsonFanOutJob', () => {
  it('reads the job line, then each id as it is pulled, across chunk boundaries and CRLF', async () => {
    const { job, to } = await readNdjsonFanOutJob(
      chunks('{"message":"h', 'i"}\r\n"user_1"\n"us', 'er_2"\r\n\n"caf\\u00e9"'),
      LIMITS,
    );
    expect(job).toEqual({ message: 'hi' });
    // Escapes are JSON's: the id rule is the creation's business, not the reader's.
    expect(await all(to)).toEqual(['user_1', 'user_2', 'café']);
    await expect(all(to)).rejects.toThrow('read only once');
  });

  it('names a recipient line that is not a JSON string, or too long, by its index and line', async () => {
    const notString = await readNdjsonFanOutJob(chunks('{"message":"hi"}\n"a"\n7\n'), LIMITS);
    expect(await violationsOf(all(notString.to))).toEqual([
      expect.objectContaining({ field: 'to[1]', message: expect.stringContaining('(line 3)') }),
    ]);
    const long = await readNdjsonFanOutJob(
      chunks('{"message":"hi"}\n"a"\n"b"\n"', 'x'.repeat(50), '"\n'),
      LIMITS,
    );
    expect(await violationsOf(all(long.to))).toEqual([
      expect.objectContaining({ field: 'to[2]', rule: 'ndjsonRecipient' }),
    ]);
  });

  it('refuses a first line that is missing, not an object, too long, or holds to', async () => {
    for (const body of ['', '["a"]\n', 'not json\n', `{"message":"${'x'.repeat(300)}"}\n`]) {
      expect(await violationsOf(readNdjsonFanOutJob(chunks(body), LIMITS))).toEqual([
        expect.objectContaining({ field: '(body)' }),
      ]);
    }
    expect(
      await violationsOf(readNdjsonFanOutJob(chunks('{"message":"hi","to":["a"]}\n'), LIMITS)),
    ).toEqual([expect.objectContaining({ field: 'to', rule: 'ndjsonHeader' })]);
  });

  it('a body cut off mid-way is a 400, not an unexpected error', async () => {
    async function* cut(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"message":"hi"}\n"user_1"\n');
      throw new Error('aborted');
    }
    const { to } = await readNdjsonFanOutJob(cut(), LIMITS);
    await expect(all(to)).rejects.toBeInstanceOf(BadRequestException);
  });
});
