import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import type { ConnectionWarmth } from '../rate-limit/call-budget';
import type { MessagingBudget } from '../rate-limit/messaging-budget';
import { RepeatedLines } from '../telemetry';
import { IDLE_SOCKET_TTL_MS, RtcOpenApiClient } from '../transport';

/** Connections warmed before any round trip was seen, and the least ever warmed. */
export const MIN_WARM_CONNECTIONS = 4;
/** The most connections warmed: past that, calls wait for budget, not for sockets. */
export const MAX_WARM_CONNECTIONS = 64;
/**
 * How long after its last grant the budget's connections are kept open while idle. Each round
 * is one cheap request per connection every few seconds: worth it for a minute, so that a burst
 * soon after another starts warm, not for ever.
 */
export const KEEP_WARM_FOR_MS = 60_000;
/** How often idle connections are used, to keep them open: before the agent would close them. */
const KEEP_WARM_EVERY_MS = IDLE_SOCKET_TTL_MS - 1_000;

/**
 * Keeps the connections the call budget is about to use open, so that the first calls after a
 * quiet spell need no connect or TLS handshake and arrive no later than the calls after them.
 * The budget then needs no cold-start allowance (`coldStartMs`), which costs throughput.
 *
 * It opens them at boot and whenever the budget starts from rest, as many as calls will be in
 * flight at the budget's limit (the limit times the typical round trip, at least
 * {@link MIN_WARM_CONNECTIONS}), and keeps them open for {@link KEEP_WARM_FOR_MS} after the last
 * grant with one probe request per connection every few seconds (no AppId's limit counts it). A
 * failed warm-up only means the budget paces the next start as cold.
 */
@Injectable()
export class ConnectionWarmer
  implements ConnectionWarmth, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  /** Until when the connections warmed last are still open. */
  private warmUntil = -Infinity;
  private warming?: Promise<void>;
  private timer?: NodeJS.Timeout;
  /** A warm-up fails every few seconds while the endpoint is unreachable: a line per 10 s. */
  private readonly failures = new RepeatedLines((line) => this.options.logger.warn(line));

  constructor(
    private readonly client: RtcOpenApiClient,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
    /** Absent when the module runs with `rateLimit: false`: then nothing paces, nothing warms. */
    @Optional() @Inject(RTC_CALL_BUDGET) private readonly budget?: MessagingBudget | null,
  ) {}

  onModuleInit(): void {
    this.budget?.useConnectionWarmth(this);
  }

  onApplicationBootstrap(): void {
    if (this.budget) this.warm();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures.flush();
  }

  isWarm(): boolean {
    return performance.now() < this.warmUntil;
  }

  warm(): void {
    if (!this.warming) {
      const connections = this.connections();
      this.warming = this.client
        .warmUp(connections)
        .then(
          () => {
            this.warmUntil = performance.now() + KEEP_WARM_EVERY_MS;
          },
          (error: unknown) =>
            this.failures.record(
              `Could not open connections ahead of calls: ${(error as Error).message}`,
            ),
        )
        .finally(() => (this.warming = undefined));
    }
    this.keepWarm();
  }

  /** Keeps warming while the budget was busy within the last minute. */
  private keepWarm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.budget && this.budget.msSinceLastGrant() < KEEP_WARM_FOR_MS) this.warm();
    }, KEEP_WARM_EVERY_MS);
    // Warming never keeps a process alive that has nothing else to do.
    this.timer.unref();
  }

  private connections(): number {
    // One more than expected: calls in flight vary around the typical round trip.
    const expected = this.budget?.expectedConcurrency();
    if (expected === undefined) return MIN_WARM_CONNECTIONS;
    return Math.min(MAX_WARM_CONNECTIONS, Math.max(MIN_WARM_CONNECTIONS, expected + 1));
  }
}
