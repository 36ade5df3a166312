// Node's own, not the global: an app's tests with fake timers (Jest's fake `setImmediate` too)
// must not hold its deliveries' claims until they advance the clock. The end of a turn is not a
// time.
import { setImmediate } from 'node:timers';

/**
 * Groups the calls made during one turn of the event loop into one round trip: each `add` gets a
 * promise of its own item's result, and at the end of the turn (`setImmediate`, after the poll
 * phase that read the requests) `send` gets every item added, answered in order by one command.
 * A batch also goes at once when it reaches `maxItems`.
 *
 * Why: under load a turn reads several deliveries, and each claim written on its own wakes Redis
 * once; one write per turn costs the app less CPU per event (bench/README.md, `npm run
 * bench:inbound`). At low load a turn holds one item, which goes alone, as it did before.
 * Nothing outlives the process: a batch is at most one turn of calls that are being awaited.
 */
export class TurnBatch<TItem, TResult> {
  private items: TItem[] = [];
  private resolvers: Array<(result: TResult) => void> = [];
  private rejecters: Array<(error: unknown) => void> = [];
  private scheduled = false;

  /**
   * @param send answers `items` in their order with one round trip; a rejection fails them all
   * @param maxItems the most items a batch holds (1: every call goes alone)
   */
  constructor(
    private readonly send: (items: readonly TItem[]) => Promise<readonly TResult[]>,
    private readonly maxItems: number,
  ) {}

  add(item: TItem): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.items.push(item);
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
      if (this.items.length >= this.maxItems) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushAtEndOfTurn);
      }
    });
  }

  private readonly flushAtEndOfTurn = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    const { items, resolvers, rejecters } = this;
    if (items.length === 0) return;
    this.items = [];
    this.resolvers = [];
    this.rejecters = [];
    let sending: Promise<readonly TResult[]>;
    try {
      sending = this.send(items);
    } catch (error) {
      for (const reject of rejecters) reject(error);
      return;
    }
    sending.then(
      (results) => {
        for (let i = 0; i < resolvers.length; i++) resolvers[i](results[i]);
      },
      (error: unknown) => {
        for (const reject of rejecters) reject(error);
      },
    );
  }
}
