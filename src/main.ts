// First: OpenTelemetry must be registered before Nest, Express and http load.
import './telemetry/instrumentation';
import { Logger } from '@nestjs/common';
import { startApp } from './bootstrap';

startApp().then(
  ({ url }) => Logger.log(`Listening on ${url}`, 'Bootstrap'),
  (error: unknown) => {
    // One line naming what is wrong (e.g. which variable), without a stack trace.
    Logger.error(
      `Failed to start: ${error instanceof Error ? error.message : String(error)}`,
      'Bootstrap',
    );
    process.exitCode = 1;
  },
);
