import type { ArgumentMetadata } from '@nestjs/common';
import { RtcValidationError, SendFanOutDto, SendRoomBatchDto } from 'nestjs-volcengine-rtc';
import { RecipientListPipe } from './recipient-list.pipe';

const pipe = new RecipientListPipe({
  port: 3000,
  apiKeys: ['key'],
  maxRecipients: 3,
  jsonBodyLimitBytes: 1024,
});
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({
  type: 'body',
  metatype,
});

async function violationsOf(value: unknown, metatype = body(SendRoomBatchDto)) {
  const error: unknown = await pipe.transform(value, metatype).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RtcValidationError);
  return (error as RtcValidationError).violations.map(({ field, rule }) => ({ field, rule }));
}

describe('RecipientListPipe', () => {
  it('returns a valid list body as an instance of its class', async () => {
    const value = await pipe.transform(
      { to: ['a', 'b', 'c'], message: 'hi' },
      body(SendRoomBatchDto),
    );
    expect(value).toBeInstanceOf(SendRoomBatchDto);
    expect(value).toEqual({ to: ['a', 'b', 'c'], message: 'hi' });
  });

  it('refuses a list over the cap, naming to and both counts', async () => {
    const error = await pipe
      .transform({ to: ['a', 'b', 'c', 'd'], message: 'hi' }, body(SendFanOutDto))
      .catch((thrown: RtcValidationError) => thrown);
    expect((error as RtcValidationError).violations).toEqual([
      {
        field: 'to',
        rule: 'arrayMaxSize',
        message: 'to must contain at most 3 recipients; it has 4',
      },
    ]);
  });

  it("names a batch's malformed ids by position, with the cap and the other rules", async () => {
    expect(await violationsOf({ to: ['a', 'b c', 'd', 'e!'], message: '', binary: 'yes' })).toEqual(
      expect.arrayContaining([
        { field: 'to[1]', rule: 'rtcId' },
        { field: 'to[3]', rule: 'rtcId' },
        { field: 'to', rule: 'arrayMaxSize' },
        { field: 'message', rule: 'notEmpty' },
        { field: 'binary', rule: 'isBoolean' },
      ]),
    );
  });

  it('leaves a fan-out list of strings to be checked id by id when sent', async () => {
    await expect(
      pipe.transform({ to: ['a', 'not valid!'], message: 'hi' }, body(SendFanOutDto)),
    ).resolves.toEqual({ to: ['a', 'not valid!'], message: 'hi' });
  });

  it.each([
    ['a string', 'to=a'],
    ['null', null],
    ['an array', [{ to: ['a'] }]],
  ])('refuses %s as the body', async (_, value) => {
    expect(await violationsOf(value)).toEqual([{ field: '(body)', rule: 'isObject' }]);
  });
});
