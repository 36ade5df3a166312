import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';

/** Each indicator's status, without what it adds (an endpoint, a connect error, an uptime). */
function statusesOf(results: Partial<HealthIndicatorResult> | undefined): HealthIndicatorResult {
  return Object.fromEntries(
    Object.entries(results ?? {}).map(([key, result]) => [
      key,
      { status: result?.status ?? 'down' },
    ]),
  );
}

/** A health report with each indicator's status and nothing else. */
export function withStatusesOnly(report: HealthCheckResult): HealthCheckResult {
  return {
    status: report.status,
    info: statusesOf(report.info),
    error: statusesOf(report.error),
    details: statusesOf(report.details),
  };
}

/**
 * The report of a terminus check as a public probe may answer it: statuses only, in the 200 and
 * in the 503 alike. The probes are public, and an indicator's details name internal addresses
 * (the RTC endpoint, the peer of a refused connection); terminus logs them when a check fails,
 * which is where an operator looks.
 *
 * @example
 * ready() { return statusesOnly(this.health.check([() => this.rtc.isHealthy('rtc')])); }
 */
export async function statusesOnly(check: Promise<HealthCheckResult>): Promise<HealthCheckResult> {
  try {
    return withStatusesOnly(await check);
  } catch (error) {
    if (!(error instanceof ServiceUnavailableException)) throw error;
    throw new ServiceUnavailableException(
      withStatusesOnly(error.getResponse() as HealthCheckResult),
    );
  }
}
