import { RepeatedLines } from './repeated-lines';

describe('RepeatedLines', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('writes a repeating line once per window, with how often it came, and the rest on flush', () => {
    const written: string[] = [];
    const lines = new RepeatedLines((line) => written.push(line), 10_000);
    for (let i = 0; i < 5; i++) lines.record('Redis: connect ECONNREFUSED');
    lines.record('another error');
    expect(written).toEqual(['Redis: connect ECONNREFUSED', 'another error']);

    jest.advanceTimersByTime(10_000);
    expect(written.slice(2)).toEqual([
      'Redis: connect ECONNREFUSED (4 times since the last report; at most one line per 10 s per message)',
    ]);

    lines.record('Redis: connect ECONNREFUSED');
    lines.flush();
    expect(written.slice(3)).toEqual(['Redis: connect ECONNREFUSED']);
    jest.advanceTimersByTime(60_000);
    expect(written).toHaveLength(4);
  });
});
