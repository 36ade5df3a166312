import { TurnBatch } from './turn-batch';

describe('TurnBatch', () => {
  it('sends the items added in one turn together, in order, and answers each its own result', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number, string>(async (items) => {
      sent.push([...items]);
      return items.map((n) => `r${n}`);
    }, 100);
    const first = await Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    const second = await batch.add(4);
    expect(first).toEqual(['r1', 'r2', 'r3']);
    expect(second).toBe('r4');
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  it('sends at once when a batch is full', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number, number>(async (items) => {
      sent.push([...items]);
      return items;
    }, 2);
    const answers = Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    // The full batch left in the turn it filled; the third item waits for the turn's end.
    expect(sent).toEqual([[1, 2]]);
    expect(await answers).toEqual([1, 2, 3]);
    expect(sent).toEqual([[1, 2], [3]]);
  });

  it('fails every item of a batch whose send fails, and the next batch goes on', async () => {
    let fail = true;
    const batch = new TurnBatch<number, number>((items) => {
      if (fail) {
        fail = false;
        throw new Error('down');
      }
      return Promise.resolve(items);
    }, 10);
    const failed = [batch.add(1), batch.add(2)].map((p) =>
      p.catch((error: Error) => error.message),
    );
    expect(await Promise.all(failed)).toEqual(['down', 'down']);
    expect(await batch.add(3)).toBe(3);
    const rejecting = new TurnBatch<number, number>(() => Promise.reject(new Error('late')), 10);
    await expect(Promise.all([rejecting.add(1), rejecting.add(2)])).rejects.toThrow('late');
  });

  it('sends at the end of the turn under fake timers too: the end of a turn is not a time', async () => {
    jest.useFakeTimers();
    try {
      const batch = new TurnBatch<number, number>((items) => Promise.resolve(items), 10);
      expect(await batch.add(7)).toBe(7);
    } finally {
      jest.useRealTimers();
    }
  });
});
