import type { CountAt } from '../../libs/rtc-messaging/src/testing/emulator/emulator.options';
import { positiveInt } from './stats';

/**
 * How the emulator behaves towards the pacer under test: where its window counts a call, the
 * CPU it spends per call, its event-loop stalls, and one-way jitter. Each figure in
 * bench/README.md names the model it was measured against.
 */
export interface UpstreamModel {
  readonly countAt: CountAt;
  readonly processingUs: number;
  readonly stallEveryMs: number;
  readonly stallMs: number;
  readonly jitterMs: number;
}

/** The flags (and environment variables) every budget benchmark reads for its upstream model. */
export const UPSTREAM_FLAGS = {
  'count-at': { env: 'BENCH_COUNT_AT', default: 'receipt' },
  'processing-us': { env: 'BENCH_PROCESSING_US', default: '0' },
  'stall-every-ms': { env: 'BENCH_STALL_EVERY_MS', default: '0' },
  'stall-ms': { env: 'BENCH_STALL_MS', default: '0' },
} as const;

/** The model from flags read with {@link UPSTREAM_FLAGS} and the benchmark's own jitter flag. */
export function upstreamModel(
  flags: Readonly<Record<string, string>>,
  jitterMs: number,
): UpstreamModel {
  const countAt = flags['count-at'];
  if (countAt !== 'receipt' && countAt !== 'answer') {
    throw new TypeError(`--count-at must be receipt or answer, got "${countAt}"`);
  }
  const stallEveryMs = positiveInt('stall-every-ms', flags['stall-every-ms'], 0);
  const stallMs = positiveInt('stall-ms', flags['stall-ms'], 0);
  if ((stallEveryMs === 0) !== (stallMs === 0)) {
    throw new TypeError('--stall-every-ms and --stall-ms go together');
  }
  return {
    countAt,
    processingUs: positiveInt('processing-us', flags['processing-us'], 0),
    stallEveryMs,
    stallMs,
    jitterMs,
  };
}

/** One line for a report: "counted at answer, 300 µs per call, 40 ms stalls every 1,500 ms". */
export function describeUpstream(model: UpstreamModel): string {
  const parts = [`counted at ${model.countAt}`];
  parts.push(
    model.processingUs ? `${model.processingUs} µs of CPU per call` : 'no processing cost',
  );
  if (model.stallEveryMs) {
    parts.push(`${model.stallMs} ms stalls every ${model.stallEveryMs.toLocaleString('en-US')} ms`);
  }
  if (model.jitterMs) parts.push(`one-way jitter 0 to ${model.jitterMs} ms`);
  return parts.join(', ');
}
