import { SlidingWindowCounter } from './sliding-window-counter';

describe('SlidingWindowCounter', () => {
  it('admits `limit` calls in a window and refuses the next', () => {
    const counter = new SlidingWindowCounter(3, 1000);
    expect([0, 1, 2, 3].map((t) => counter.tryAcquire('k', t))).toEqual([true, true, true, false]);
  });

  it('frees a slot exactly windowMs after the call that took it', () => {
    const counter = new SlidingWindowCounter(2, 1000);
    counter.tryAcquire('k', 0);
    counter.tryAcquire('k', 400);
    expect(counter.tryAcquire('k', 999)).toBe(false);
    expect(counter.tryAcquire('k', 1000)).toBe(true);
    // The slot taken at 400 is still inside the window.
    expect(counter.tryAcquire('k', 1001)).toBe(false);
    expect(counter.tryAcquire('k', 1400)).toBe(true);
  });

  it('does not let a burst across a fixed-second edge through (sliding, not fixed)', () => {
    const counter = new SlidingWindowCounter(5, 1000);
    for (let i = 0; i < 5; i++) expect(counter.tryAcquire('k', 900)).toBe(true);
    // A fixed window starting at 1000 would admit 5 more here.
    expect(counter.tryAcquire('k', 1000)).toBe(false);
    expect(counter.tryAcquire('k', 1899)).toBe(false);
    expect(counter.tryAcquire('k', 1900)).toBe(true);
  });

  it('does not count refused calls', () => {
    const counter = new SlidingWindowCounter(1, 1000);
    expect(counter.tryAcquire('k', 0)).toBe(true);
    for (let t = 1; t < 1000; t += 100) expect(counter.tryAcquire('k', t)).toBe(false);
    expect(counter.tryAcquire('k', 1000)).toBe(true);
  });

  it('keeps one window per key and forgets them on clear()', () => {
    const counter = new SlidingWindowCounter(1, 1000);
    expect(counter.tryAcquire('a', 0)).toBe(true);
    expect(counter.tryAcquire('b', 0)).toBe(true);
    expect(counter.tryAcquire('a', 1)).toBe(false);
    counter.clear();
    expect(counter.tryAcquire('a', 2)).toBe(true);
  });

  it('rejects a limit below 1', () => {
    expect(() => new SlidingWindowCounter(0)).toThrow(RangeError);
    expect(() => new SlidingWindowCounter(1.5)).toThrow(RangeError);
  });
});
