import { RtcUpstreamError, UpstreamErrorDetails } from './rtc-upstream.error';

/**
 * The upstream refused the signature's time (`InvalidTimestamp`): this machine's clock is too far
 * from Volcengine's. Retrying cannot help until the clock is synced (NTP).
 */
export class RtcClockSkewError extends RtcUpstreamError {
  constructor(details: UpstreamErrorDetails) {
    super(details);
    this.message +=
      ". The signature's time (X-Date) comes from this machine's clock, which the upstream finds too far from its own: sync the clock (NTP) and try again";
  }
}
