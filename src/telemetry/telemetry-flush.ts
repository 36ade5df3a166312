import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { activeTelemetry } from './telemetry';

/**
 * Exports the spans still buffered when the app closes: on SIGTERM Nest closes the app and the
 * process exits, which would drop the last batch (up to 5 s of spans). Flushes rather than shuts
 * the SDK down, which belongs to the process, not to one app (tests create several).
 */
@Injectable()
export class TelemetryFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await activeTelemetry()?.flush();
  }
}
