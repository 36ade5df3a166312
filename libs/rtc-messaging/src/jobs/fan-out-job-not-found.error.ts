import { RtcError } from '../errors';

/** No job has this id (it never existed, or its retention ran out). */
export class FanOutJobNotFoundError extends RtcError {
  readonly outcome = 'not_delivered' as const;

  constructor(readonly jobId: string) {
    // The id as given may be anything a caller typed; only its length is safe to repeat.
    super(`No fan-out job has this id (${String(jobId).length} characters)`);
  }
}
