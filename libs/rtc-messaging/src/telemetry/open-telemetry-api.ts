import type * as OpenTelemetry from '@opentelemetry/api';

/** The `@opentelemetry/api` package, as the app installed it. */
export type OpenTelemetryApi = typeof OpenTelemetry;

/**
 * `@opentelemetry/api` when the app has it, `undefined` when it does not: it is an optional peer,
 * and the module must load and cost as before without it. A guarded `require` rather than an
 * import, which would fail the whole module. Any other failure of the package is rethrown.
 */
export function loadOpenTelemetryApi(): OpenTelemetryApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@opentelemetry/api') as OpenTelemetryApi;
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Loaded once per process: every module instance shares the app's one API (and its SDK). */
export const OPEN_TELEMETRY_API: OpenTelemetryApi | undefined = loadOpenTelemetryApi();
