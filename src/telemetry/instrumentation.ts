/**
 * Starts OpenTelemetry before anything else loads: imported first by `main.ts` and `demo.ts`, so
 * the SDK is registered before Nest creates the library's module (which takes its meter then) and
 * before `http` and Express are required (which the instrumentations patch as they load).
 *
 * It runs before `ConfigModule`, so it reads the process's environment only, as OpenTelemetry
 * SDKs do: `OTEL_*` in `.env` are not seen. `ConfigModule` validates the same variables later and
 * stops the boot, naming one, if it is malformed.
 */
import { startTelemetry } from './telemetry';

startTelemetry(process.env);
