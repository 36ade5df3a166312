import { setImmediate as tick } from 'node:timers/promises';
import {
  RtcRateLimitedError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  RtcValidationError,
} from '../errors';
import { runFanOut } from './fan-out';
import type { FanOutProgress, FanOutResult, FanOutSend } from './fan-out.types';
import { CANCELLED_REASON } from './send-status';

const ids = (n: number, prefix = 'user_') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** A send that resolves at once with a RequestId derived from the recipient. */
const instantSend: FanOutSend = async (to) => ({ requestId: `req-${to}` });

/** A controllable send: each call waits until the test settles it; counts calls in flight. */
function deferredSend() {
  const pending = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  let inFlight = 0;
  let maxInFlight = 0;
  const send: FanOutSend = (to) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise((resolve, reject) => {
      // Settling takes the call out of `pending` at once, so it cannot be settled twice.
      const settle = (then: () => void) => () => {
        pending.delete(to);
        inFlight--;
        then();
      };
      pending.set(to, {
        resolve: settle(() => resolve({ requestId: `req-${to}` })),
        reject: (error) => settle(() => reject(error))(),
      });
    });
  };
  return {
    send,
    pending,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    /** Settles the oldest pending call successfully. */
    resolveOldest() {
      const [first] = pending.values();
      first?.resolve();
    },
  };
}

/** An iterable that counts how many recipients were pulled, and whether it was closed. */
function countingSource(list: readonly string[], onPull?: (pulls: number) => void) {
  const state = { pulls: 0, closed: false };
  function* generate() {
    try {
      for (const id of list) {
        state.pulls++;
        onPull?.(state.pulls);
        yield id;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, iterable: generate() };
}

describe('runFanOut', () => {
  it('sends to every recipient and reports each outcome, with counts and bounded samples', async () => {
    const send: FanOutSend = async (to) => {
      if (to === 'refused_1') throw new RtcUpstreamError({ status: 403, code: 'AccessDenied' });
      if (to === 'refused_2') throw new RtcRateLimitedError(100);
      if (to === 'maybe') throw new RtcUnknownOutcomeError('timeout', 'no answer in 10000 ms');
      if (to === 'bad id')
        throw new RtcValidationError([{ field: 'to', rule: 'rtcId', message: 'to must be …' }]);
      return { requestId: `req-${to}` };
    };
    const results: FanOutResult[] = [];
    const summary = await runFanOut(['a', 'refused_1', 'b', 'maybe', 'refused_2', 'bad id'], send, {
      onResult: (r) => void results.push(r),
    });

    expect(summary).toEqual({
      done: 6,
      sent: 2,
      refused: 3,
      unknown: 1,
      refusals: [
        { to: 'refused_1', index: 1, reason: expect.stringContaining('AccessDenied') },
        { to: 'refused_2', index: 4, reason: expect.stringContaining('budget exhausted') },
        { to: 'bad id', index: 5, reason: 'to must be …' },
      ],
      unknowns: [{ to: 'maybe', index: 3, reason: expect.stringContaining('timeout') }],
      cancelled: false,
      elapsedMs: expect.any(Number),
    });
    expect(results.sort((x, y) => x.index - y.index)).toEqual([
      { to: 'a', index: 0, status: 'sent', requestId: 'req-a' },
      {
        to: 'refused_1',
        index: 1,
        status: 'refused',
        error: expect.any(RtcUpstreamError),
        reason: expect.any(String),
      },
      { to: 'b', index: 2, status: 'sent', requestId: 'req-b' },
      {
        to: 'maybe',
        index: 3,
        status: 'unknown',
        error: expect.any(RtcUnknownOutcomeError),
        reason: expect.any(String),
      },
      expect.objectContaining({ to: 'refused_2', status: 'refused' }),
      expect.objectContaining({ to: 'bad id', status: 'refused' }),
    ]);
  });

  it('treats any non-RtcError failure as refused', async () => {
    const summary = await runFanOut(['a'], async () => Promise.reject(new TypeError('boom')));
    expect(summary).toMatchObject({ refused: 1, refusals: [{ to: 'a', reason: 'boom' }] });
  });

  it('never has more calls in flight than concurrency, and uses all of it', async () => {
    const fake = deferredSend();
    const run = runFanOut(ids(50), fake.send, { concurrency: 7 });
    // Settle calls one at a time, in a shuffled order, until all are done.
    for (let settled = 0; settled < 50; settled++) {
      await tick();
      expect(fake.inFlight).toBeLessThanOrEqual(7);
      const open = [...fake.pending.values()];
      open[(settled * 5) % open.length].resolve();
    }
    const summary = await run;
    expect(summary.sent).toBe(50);
    expect(fake.maxInFlight).toBe(7);
  });

  it('pulls lazily: never more than done + concurrency recipients', async () => {
    const reported: number[] = [];
    let done = 0;
    const { state, iterable } = countingSource(ids(200), (pulls) => {
      // At the moment of each pull, the runner must have a free slot.
      reported.push(pulls - done);
    });
    const fake = deferredSend();
    const run = runFanOut(iterable, fake.send, { concurrency: 5, onResult: () => void done++ });
    await tick();
    expect(state.pulls).toBe(5); // filled its slots, and stopped
    for (let i = 0; i < 200; i++) {
      fake.resolveOldest();
      await tick();
      expect(state.pulls).toBeLessThanOrEqual(done + 5);
    }
    await run;
    expect(Math.max(...reported)).toBeLessThanOrEqual(5);
    expect(state.pulls).toBe(200);
  });

  it('reads an async iterable lazily, one pull at a time', async () => {
    let pulling = 0;
    let maxPulling = 0;
    let pulls = 0;
    let done = 0;
    let maxAhead = 0;
    async function* slowCursor() {
      for (const id of ids(40)) {
        pulling++;
        maxPulling = Math.max(maxPulling, pulling);
        await tick();
        pulling--;
        pulls++;
        maxAhead = Math.max(maxAhead, pulls - done);
        yield id;
      }
    }
    const sent: string[] = [];
    const summary = await runFanOut(slowCursor(), instantSend, {
      concurrency: 3,
      onResult: (r) => {
        done++;
        sent.push(r.to);
      },
    });
    expect(summary).toMatchObject({ done: 40, sent: 40 });
    expect(new Set(sent)).toEqual(new Set(ids(40)));
    expect(maxPulling).toBe(1);
    expect(maxAhead).toBeLessThanOrEqual(3);
  });

  it('holds a slot while an async onResult runs, so a slow consumer slows the run', async () => {
    const { state, iterable } = countingSource(ids(20));
    const releases: (() => void)[] = [];
    const run = runFanOut(iterable, instantSend, {
      concurrency: 2,
      onResult: () => new Promise<void>((resolve) => releases.push(resolve)),
    });
    await tick();
    await tick();
    expect(state.pulls).toBe(2);
    expect(releases).toHaveLength(2);
    releases.shift()!();
    await tick();
    await tick();
    expect(state.pulls).toBe(3);
    // Bounded, so a regression fails the test instead of spinning.
    for (let i = 0; i < 1_000 && (releases.length > 0 || state.pulls < 20); i++) {
      releases.shift()?.();
      await tick();
    }
    await expect(run).resolves.toMatchObject({ sent: 20 });
  });

  describe('cancellation', () => {
    it('stops pulling, lets calls in flight finish, and reports exactly what was attempted', async () => {
      const controller = new AbortController();
      const { state, iterable } = countingSource(ids(100));
      const fake = deferredSend();
      const results: FanOutResult[] = [];
      const run = runFanOut(iterable, fake.send, {
        concurrency: 4,
        signal: controller.signal,
        onResult: (r) => void results.push(r),
      });
      for (let i = 0; i < 10; i++) {
        await tick();
        fake.resolveOldest();
      }
      await tick();
      controller.abort();
      // The calls on the wire complete after the abort, and count as sent.
      while (fake.pending.size > 0) fake.resolveOldest();
      const summary = await run;

      expect(summary.cancelled).toBe(true);
      expect(summary.done).toBe(results.length);
      expect(summary.sent).toBe(results.length);
      expect(state.pulls).toBe(results.length); // nothing pulled and then dropped
      expect(results.map((r) => r.to).sort()).toEqual(ids(results.length).sort());
      expect(results.length).toBeGreaterThanOrEqual(10);
      expect(results.length).toBeLessThanOrEqual(10 + 4);
      expect(state.closed).toBe(true); // the generator's finally ran
    });

    it('refuses calls whose wait for budget was cut short, as cancelled', async () => {
      const controller = new AbortController();
      // Like the budget: the first two calls go out, the rest wait until the signal fires.
      let granted = 0;
      const send: FanOutSend = (to, _index, signal) =>
        granted++ < 2
          ? Promise.resolve({ requestId: `req-${to}` })
          : new Promise((_, reject) =>
              signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }),
            );
      const results: FanOutResult[] = [];
      const run = runFanOut(ids(10), send, {
        concurrency: 5,
        signal: controller.signal,
        onResult: (r) => void results.push(r),
      });
      await tick();
      controller.abort();
      const summary = await run;

      // Two calls went out and freed their slots; five then waited, and gave up.
      expect(summary).toMatchObject({ cancelled: true, done: 7, sent: 2, refused: 5 });
      expect(results.filter((r) => r.status === 'sent').map((r) => r.to)).toEqual([
        'user_0',
        'user_1',
      ]);
      const refused = results.filter((r) => r.status === 'refused');
      expect(refused).toHaveLength(5);
      for (const result of refused) {
        expect(result).toMatchObject({ reason: CANCELLED_REASON, error: controller.signal.reason });
      }
    });

    it('does nothing when the signal is already aborted', async () => {
      const { state, iterable } = countingSource(ids(3));
      const send = jest.fn(instantSend);
      const summary = await runFanOut(iterable, send, { signal: AbortSignal.abort() });
      expect(summary).toMatchObject({ done: 0, cancelled: true });
      expect(state.pulls).toBe(0);
      expect(send).not.toHaveBeenCalled();
    });

    it('does not hang on an async source that stalls after the abort', async () => {
      const controller = new AbortController();
      let returned = false;
      const stalled: AsyncIterableIterator<string> = {
        next: () => new Promise(() => undefined),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      const run = runFanOut(stalled, instantSend, { signal: controller.signal });
      await tick();
      controller.abort();
      await expect(run).resolves.toMatchObject({ done: 0, cancelled: true });
      await tick();
      expect(returned).toBe(true);
    });
  });

  it('runs 100,000 recipients in bounded bookkeeping', async () => {
    const total = 100_000;
    let pulls = 0;
    let reported = 0;
    let maxAhead = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    function* recipients() {
      for (let i = 0; i < total; i++) {
        pulls++;
        maxAhead = Math.max(maxAhead, pulls - reported);
        // Every 10th id is refused, to fill (and cap) the samples.
        yield i % 10 === 0 ? `refuse_${i}` : `user_${i}`;
      }
    }
    const send: FanOutSend = async (to) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Promise.resolve();
      inFlight--;
      if (to.startsWith('refuse_')) throw new RtcUpstreamError({ status: 400, code: 'X' });
      return { requestId: 'r' };
    };
    const progress: FanOutProgress[] = [];
    const summary = await runFanOut(recipients(), send, {
      concurrency: 64,
      onResult: () => void reported++,
      onProgress: (p) => void progress.push(p),
      progressEvery: 10_000,
    });

    expect(summary).toMatchObject({ done: total, sent: 90_000, refused: 10_000, unknown: 0 });
    expect(reported).toBe(total);
    expect(maxInFlight).toBeLessThanOrEqual(64);
    expect(maxAhead).toBeLessThanOrEqual(64);
    expect(summary.refusals).toHaveLength(100); // the first 100 of 10,000
    expect(summary.refusals[0]).toEqual({ to: 'refuse_0', index: 0, reason: expect.any(String) });
    expect(progress).toHaveLength(10);
    expect(progress.at(-1)).toEqual({ done: total, sent: 90_000, refused: 10_000, unknown: 0 });
  }, 30_000);

  it('reports progress every N results and once more at the end', async () => {
    const progress: FanOutProgress[] = [];
    await runFanOut(ids(25), instantSend, {
      progressEvery: 10,
      onProgress: (p) => void progress.push(p),
    });
    expect(progress.map((p) => p.done)).toEqual([10, 20, 25]);
  });

  it('keeps at most maxSamples of each kind', async () => {
    const summary = await runFanOut(
      ids(10),
      async () => Promise.reject(new RtcUnknownOutcomeError('reset', 'socket hang up')),
      { maxSamples: 3 },
    );
    expect(summary).toMatchObject({ unknown: 10, refusals: [] });
    expect(summary.unknowns.map((s) => s.index)).toEqual([0, 1, 2]);
  });

  it('stops on a throwing onResult, reports the calls in flight, and rethrows', async () => {
    const { state, iterable } = countingSource(ids(50));
    const fake = deferredSend();
    const failure = new Error('audit log down');
    const seen: string[] = [];
    const run = runFanOut(iterable, fake.send, {
      concurrency: 3,
      onResult: (r) => {
        seen.push(r.to);
        if (r.to === 'user_0') throw failure;
      },
    });
    const outcome = run.catch((error: unknown) => error);
    await tick();
    while (fake.pending.size > 0) {
      fake.resolveOldest();
      await tick();
    }
    await expect(outcome).resolves.toBe(failure);
    expect(seen.sort()).toEqual(['user_0', 'user_1', 'user_2']);
    expect(state.pulls).toBe(3);
    expect(state.closed).toBe(true);
  });

  it.each([
    ['onResult throws', 'onResult'],
    ['the iterable throws', 'iterable'],
  ] as const)('cancels the calls still waiting for budget when %s', async (_, what) => {
    const failure = new Error('audit log down');
    // Like the budget: the first call goes out (once all four are pulled), the others wait until
    // their signal fires.
    let granted = 0;
    const cancelled: string[] = [];
    const send: FanOutSend = (to, _index, signal) =>
      granted++ < 1
        ? tick().then(() => ({ requestId: `req-${to}` }))
        : new Promise((_resolve, reject) =>
            signal!.addEventListener(
              'abort',
              () => {
                cancelled.push(to);
                reject(signal!.reason);
              },
              { once: true },
            ),
          );
    function* recipients() {
      yield* ids(4);
      // Pulled once a slot frees: after the first call's result.
      if (what === 'iterable') throw failure;
    }
    const results: FanOutResult[] = [];
    const outcome = runFanOut(recipients(), send, {
      concurrency: 4,
      onResult: (r) => {
        results.push(r);
        if (what === 'onResult') throw failure;
      },
    }).catch((error: unknown) => error);

    await expect(outcome).resolves.toBe(failure);
    expect(cancelled).toEqual(['user_1', 'user_2', 'user_3']);
    expect(results.filter((r) => r.status === 'refused').map((r) => r.reason)).toEqual([
      CANCELLED_REASON,
      CANCELLED_REASON,
      CANCELLED_REASON,
    ]);
  });

  it('rethrows what the iterable throws, after reporting the calls in flight', async () => {
    const failure = new Error('cursor lost');
    async function* failing() {
      yield 'a';
      yield 'b';
      throw failure;
    }
    const seen: string[] = [];
    await expect(
      runFanOut(failing(), instantSend, { onResult: (r) => void seen.push(r.to) }),
    ).rejects.toBe(failure);
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  describe('arguments', () => {
    it.each([
      ['a string', 'user_1', /not one string/],
      ['a number', 42, /iterable or async iterable/],
      ['null', null, /iterable or async iterable/],
    ])('refuses %s as recipients, pulling nothing', async (_, recipients, message) => {
      const send = jest.fn(instantSend);
      await expect(runFanOut(recipients as never, send)).rejects.toMatchObject({
        violations: [
          { field: 'recipients', rule: 'isIterable', message: expect.stringMatching(message) },
        ],
      });
      expect(send).not.toHaveBeenCalled();
    });

    it.each([0, 1001, 1.5, '4'])('refuses concurrency %p', async (concurrency) => {
      await expect(
        runFanOut(['a'], instantSend, { concurrency: concurrency as number }),
      ).rejects.toMatchObject({
        violations: [expect.objectContaining({ field: 'concurrency', rule: 'isInt' })],
      });
    });

    it('names every malformed option at once', async () => {
      const error = await runFanOut(['a'], instantSend, {
        progressEvery: 0,
        maxSamples: -1,
        signal: {} as AbortSignal,
        onResult: 'log' as never,
        onProgress: 1 as never,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RtcValidationError);
      expect((error as RtcValidationError).violations.map((v) => v.field)).toEqual([
        'progressEvery',
        'maxSamples',
        'signal',
        'onResult',
        'onProgress',
      ]);
    });
  });
});
