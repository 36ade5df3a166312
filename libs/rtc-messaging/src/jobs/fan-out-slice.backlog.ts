import type { FanOutJobStore, RecordedOutcome } from './fan-out-job.store';

/** Slices whose writes a process keeps at most: the oldest is forgotten beyond. */
const MAX_SLICES = 1_000;

interface PendingWrites {
  readonly outcomes: Map<number, RecordedOutcome>;
  readonly releases: Set<number>;
}

/**
 * What a slice's run could not write because Redis did not answer (a restart, a failover): the
 * outcomes of calls that completed, and the recipients whose calls surely did not go out. They
 * are written first when the slice runs again in this process, so a recipient that was sent is
 * reported `sent` rather than `unknown`, and one that was not is sent then. (If another process
 * takes the slice, its recipients left in flight are `unknown`, as after a crash: never resent.)
 */
export class SliceBacklog {
  private readonly pending = new Map<string, PendingWrites>();

  private entry(id: string, slice: number): PendingWrites {
    const key = `${id}:${slice}`;
    let entry = this.pending.get(key);
    if (!entry) {
      if (this.pending.size >= MAX_SLICES) this.pending.delete(this.pending.keys().next().value!);
      entry = { outcomes: new Map(), releases: new Set() };
      this.pending.set(key, entry);
    }
    return entry;
  }

  /** An outcome to record when the slice runs again. */
  outcome(id: string, slice: number, offset: number, outcome: RecordedOutcome): void {
    this.entry(id, slice).outcomes.set(offset, outcome);
  }

  /** A recipient to release (see `FanOutJobStore.release`) when the slice runs again. */
  release(id: string, slice: number, offset: number): void {
    this.entry(id, slice).releases.add(offset);
  }

  /**
   * Writes what the slice's last run left here, before the slice is taken again; forgotten once
   * written. Rejects (and keeps it) when Redis still does not answer.
   */
  async replay(store: FanOutJobStore, id: string, slice: number): Promise<void> {
    const key = `${id}:${slice}`;
    const entry = this.pending.get(key);
    if (!entry) return;
    for (const [offset, outcome] of entry.outcomes) {
      await store.record(id, slice, offset, outcome);
      entry.outcomes.delete(offset);
    }
    await store.release(id, slice, entry.releases);
    this.pending.delete(key);
  }
}
