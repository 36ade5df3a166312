import { setTimeout as sleep } from 'node:timers/promises';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { RtcError, RtcRateLimitedError, RtcShuttingDownError } from '../errors';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type {
  ResolvedRateLimitOptions,
  ResolvedRtcMessagingOptions,
} from '../rtc-messaging.options';
import type { CallBudget } from '../rate-limit/call-budget';
import type { BudgetPlace } from '../rate-limit/key-takes';
import type { BudgetPriority } from '../rate-limit/waiter-queue';
import { backoffDelayMs, isRetryable } from '../retry/retry-policy';
import { MessagingAction } from '../rtc-openapi.constants';
import { CallTelemetry, errorCodeOf, FailureLogSummary, MessagingTelemetry } from '../telemetry';
import { requestIdOf } from '../telemetry/error-code';
import { OpenApiSuccess, RtcOpenApiClient } from '../transport';

/**
 * Runs one messaging call to completion: takes a place in the budget's window before every attempt
 * (retries count against the upstream's limit like any call) and releases it when the attempt
 * ends, answered or not (see `CallBudget`), and retries only what the retry
 * policy allows, within its attempt and time caps. Records each call's span and metrics, and
 * summarizes failures and retries in the log.
 *
 * On shutdown it lets the calls in flight complete (within `shutdownGraceMs`) before the HTTP
 * agents and the budget's Redis close: Nest runs every `beforeApplicationShutdown` before any
 * `onApplicationShutdown`, so a deploy turns none of them into an unknown outcome.
 */
@Injectable()
export class RtcDispatcher implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly failures: FailureLogSummary;
  private readonly telemetry: MessagingTelemetry;
  /** Calls that started and have not ended, budget waits and retries included. */
  private inFlight = 0;
  /** Callers waiting for budget right now (`rtc.messaging.budget.queued`). */
  private waitingForBudget = 0;
  private shuttingDown = false;
  /** Resolves the drain once the last call in flight ends. */
  private drained?: () => void;

  constructor(
    private readonly client: RtcOpenApiClient,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
    /** Absent when the module runs with `rateLimit: false`. */
    @Optional() @Inject(RTC_CALL_BUDGET) private readonly budget?: CallBudget | null,
  ) {
    this.failures = new FailureLogSummary(options.logger);
    this.telemetry = new MessagingTelemetry(() => this.waitingForBudget);
  }

  /**
   * @param body the action's JSON body; its `AppId` picks the budget
   * @param signal cancels waiting for budget or for a retry (a call in flight still completes)
   * @param priority `bulk` for a fan-out recipient or a batch chunk: it waits behind single sends,
   *   for as long as its turn takes, rather than being refused (see `BudgetPriority`)
   * @throws RtcShuttingDownError when the application is shutting down (nothing is sent)
   */
  async dispatch<TResult>(
    action: MessagingAction,
    body: { readonly AppId: string } & Readonly<Record<string, unknown>>,
    signal?: AbortSignal,
    priority?: BudgetPriority,
  ): Promise<OpenApiSuccess<TResult>> {
    // Refused before anything is sent, with the signal's reason as the budget would: without a
    // budget (`rateLimit: false`) nothing else looks at the signal before the first attempt.
    signal?.throwIfAborted();
    const to = body.To;
    const call = this.telemetry.startCall(
      action,
      body.AppId,
      Array.isArray(to) ? to.length : undefined,
    );
    const attempts = { count: 0 };
    this.inFlight++;
    try {
      if (this.shuttingDown) throw new RtcShuttingDownError();
      const success = await this.attempt<TResult>(action, body, signal, priority, call, attempts);
      call.end(attempts.count, success.requestId);
      return success;
    } catch (error) {
      call.end(attempts.count, undefined, error);
      // A cancelled call is the caller's choice, not a failure to report.
      if (!(signal?.aborted && error === signal.reason)) {
        this.failures.failed(errorCodeOf(error), action, requestIdOf(error));
      }
      throw error;
    } finally {
      if (--this.inFlight === 0) this.drained?.();
    }
  }

  /** The attempts of one call, until one succeeds or the retry policy gives up. */
  private async attempt<TResult>(
    action: MessagingAction,
    body: { readonly AppId: string } & Readonly<Record<string, unknown>>,
    signal: AbortSignal | undefined,
    priority: BudgetPriority | undefined,
    call: CallTelemetry,
    attempts: { count: number },
  ): Promise<OpenApiSuccess<TResult>> {
    const started = performance.now();
    // With at-least-once retries, an earlier attempt may have delivered: a later refusal must not
    // hide that, so the caller hears the unknown outcome rather than "not delivered".
    let mayHaveDelivered: RtcError | undefined;
    for (let attempt = 1; ; attempt++) {
      attempts.count = attempt;
      try {
        // Not `await this.budget?.acquire(…)`: without a budget that would still cost a turn.
        if (!this.budget) return await this.client.call<TResult>(action, body);
        const place = await this.acquire(body.AppId, signal, priority, call);
        let throttled = false;
        try {
          return await this.client.call<TResult>(action, body);
        } catch (error) {
          throttled = error instanceof RtcRateLimitedError && error.upstream !== undefined;
          throw error;
        } finally {
          // The answer (or the failure) is in: the place is held one window more, then frees.
          // A 429 lowers the limit in proportion (see `ThrottleFeedback`).
          this.budget.release(place, throttled);
        }
      } catch (error) {
        if (error instanceof RtcError && error.outcome === 'unknown') mayHaveDelivered = error;
        const delay = this.retryDelay(attempt, error, performance.now() - started);
        if (delay === undefined) throw mayHaveDelivered ?? error;
        call.retrying(error);
        this.failures.retried(errorCodeOf(error), action, requestIdOf(error));
        // Rejects with the signal's reason, as waiting for budget does.
        await sleep(delay, undefined, { signal }).catch(() =>
          Promise.reject(mayHaveDelivered ?? signal?.reason),
        );
      }
    }
  }

  /** Waits for a place in the budget, counted in `rtc.messaging.budget.queued` meanwhile. */
  private async acquire(
    appId: string,
    signal: AbortSignal | undefined,
    priority: BudgetPriority | undefined,
    call: CallTelemetry,
  ): Promise<BudgetPlace> {
    const started = performance.now();
    this.waitingForBudget++;
    try {
      const key = (this.options.rateLimit as ResolvedRateLimitOptions).keyOf(appId);
      return await this.budget!.acquire(key, { signal, priority });
    } finally {
      this.waitingForBudget--;
      call.budgetWaited(performance.now() - started);
    }
  }

  /** Milliseconds to wait before the next attempt, or `undefined` when there is none. */
  private retryDelay(attempt: number, error: unknown, elapsedMs: number): number | undefined {
    const retry = this.options.retry;
    if (attempt >= retry.maxAttempts || !isRetryable(error, retry)) return undefined;
    const delay = backoffDelayMs(attempt, error, retry);
    return elapsedMs + delay < retry.maxElapsedMs ? delay : undefined;
  }

  /**
   * Refuses new calls, then waits for the calls in flight to end, for up to `shutdownGraceMs`.
   * Runs before any provider's `onApplicationShutdown`, where the sockets and Redis close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.inFlight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.drained = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
    if (this.inFlight > 0) {
      this.options.logger.warn(
        `Shutdown: ${this.inFlight} messaging calls still in flight after ` +
          `shutdownGraceMs (${this.options.shutdownGraceMs} ms); closing anyway`,
      );
    }
  }

  /** Writes the failures counted since the last summary line, and stops observing metrics. */
  onApplicationShutdown(): void {
    this.failures.flush();
    this.telemetry.close();
  }
}
