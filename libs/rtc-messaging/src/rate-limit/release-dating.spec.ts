import { seededRandom } from '../../test/time-windows';
import { answeredBy, DATING_SLACK_MS } from './release-dating';

/**
 * One call seen from both clocks. Local monotonic time is the reference `t`; the store's clock
 * reads `R(t) = offset + t × (1 + drift)`. The take leaves at `t0`, runs at the store after a
 * forward trip (network, event-loop lag, a queue at the store), the answer comes any time after
 * that and is seen at `t1`, any time after it (event-loop lag again).
 */
function call(random: () => number, maxDrift: number) {
  const offset = (random() - 0.5) * 1e12; // the clocks have nothing in common
  const drift = (2 * random() - 1) * maxDrift;
  const R = (t: number) => offset + t * (1 + drift);
  const spread = random() < 0.2 ? 30_000 : 300; // now and then a call that nearly times out
  const t0 = random() * 1e6;
  // A third of the trips take no time at all: there the dating has no slack but its allowance.
  const delay = () => (random() < 1 / 3 ? 0 : random() * random() * spread);
  const takeRunsAt = t0 + delay();
  const answerAt = takeRunsAt + random() * spread;
  const t1 = answerAt + delay();
  return { takenAt: R(takeRunsAt), sentAt: t0, seenAt: t1, answer: R(answerAt) };
}

describe('answeredBy: dating a release from its take', () => {
  it('is never before the answer, by the store’s clock, for any delays and clocks 500 ppm apart', () => {
    const random = seededRandom(20);
    for (let i = 0; i < 100_000; i++) {
      const { takenAt, sentAt, seenAt, answer } = call(random, 500e-6);
      expect(answeredBy(takenAt, sentAt, seenAt)).toBeGreaterThanOrEqual(answer);
    }
  });

  it('needs its drift allowance: without it, a store clock running fast dates some before their answer', () => {
    // The negative control: the property above can fail, and this is what catches it.
    const random = seededRandom(21);
    let early = 0;
    for (let i = 0; i < 10_000; i++) {
      const { takenAt, sentAt, seenAt, answer } = call(random, 500e-6);
      if (takenAt + (seenAt - sentAt) < answer) early++;
    }
    expect(early).toBeGreaterThan(0);
  });

  it('adds only the slack and 0.1% of the span to the take’s time plus the span', () => {
    expect(answeredBy(5_000, 100, 300)).toBeCloseTo(5_000 + 200 + DATING_SLACK_MS + 0.2, 9);
    // A span of 0 (or a clock read out of order) adds no negative time.
    expect(answeredBy(5_000, 300, 100)).toBe(5_000 + DATING_SLACK_MS);
  });
});
