import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { RtcError } from '../errors';
import { RTC_CALL_BUDGET, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import type { BudgetPriority } from '../rate-limit/call-budget';
import type { MessagingBudget } from '../rate-limit/messaging-budget';
import { backoffDelayMs, isRetryable } from '../retry/retry-policy';
import { MessagingAction } from '../rtc-openapi.constants';
import { OpenApiSuccess, RtcOpenApiClient } from '../transport';

/**
 * Runs one messaging call to completion: takes a unit of the shared budget before every attempt
 * (retries count against the upstream's limit like any call), and retries only what the retry
 * policy allows, within its attempt and time caps.
 */
@Injectable()
export class RtcDispatcher {
  private readonly logger = new Logger('RtcMessaging');

  constructor(
    private readonly client: RtcOpenApiClient,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
    /** Absent when the module runs with `rateLimit: false`. */
    @Optional() @Inject(RTC_CALL_BUDGET) private readonly budget?: MessagingBudget | null,
  ) {}

  /**
   * @param body the action's JSON body; its `AppId` picks the budget
   * @param signal cancels waiting for budget or for a retry (a call in flight still completes)
   * @param priority `bulk` for a fan-out recipient or a batch chunk: it waits behind single sends,
   *   for as long as its turn takes, rather than being refused (see `BudgetPriority`)
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
    const started = performance.now();
    // With at-least-once retries, an earlier attempt may have delivered: a later refusal must not
    // hide that, so the caller hears the unknown outcome rather than "not delivered".
    let mayHaveDelivered: RtcError | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        // Not `await this.budget?.acquire(…)`: without a budget that would still cost a turn.
        if (this.budget) await this.budget.acquire(body.AppId, { signal, priority });
        return await this.client.call<TResult>(action, body);
      } catch (error) {
        if (error instanceof RtcError && error.outcome === 'unknown') mayHaveDelivered = error;
        const delay = this.retryDelay(attempt, error, performance.now() - started);
        if (delay === undefined) throw mayHaveDelivered ?? error;
        this.logger.warn(
          `${action}: attempt ${attempt} failed (${(error as Error).name}); retrying in ${delay} ms`,
        );
        // Rejects with the signal's reason, as waiting for budget does.
        await sleep(delay, undefined, { signal }).catch(() =>
          Promise.reject(mayHaveDelivered ?? signal?.reason),
        );
      }
    }
  }

  /** Milliseconds to wait before the next attempt, or `undefined` when there is none. */
  private retryDelay(attempt: number, error: unknown, elapsedMs: number): number | undefined {
    const retry = this.options.retry;
    if (attempt >= retry.maxAttempts || !isRetryable(error, retry)) return undefined;
    const delay = backoffDelayMs(attempt, error, retry);
    return elapsedMs + delay < retry.maxElapsedMs ? delay : undefined;
  }
}
