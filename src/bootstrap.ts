import { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import {
  fanOutJobsBodyParserOptions,
  fanOutJobsNdjsonBody,
} from './fan-out-jobs/fan-out-jobs.body-parser';
import { fanOutJobCreationLimit } from './fan-out-jobs/fan-out-job-creation.limit';
import { fanOutJobsConfig, FanOutJobsConfig } from './fan-out-jobs/fan-out-jobs.config';
import { apiKeyMiddleware } from './auth/api-key.middleware';
import { setupApiDocs } from './docs/api-docs';
import { jsonBodyParserOptions } from './http/json-body-parser';
import { rejectDeeplyNestedJson } from './http/json-depth.middleware';
import { APP_LOGGER } from './logging/app-logger.token';
import { requestLogger } from './logging/pino-params';
import { mountMetrics } from './telemetry/metrics.route';
import { ENV_VARIABLES, EnvVariable, serverConfig, ServerConfig } from './config';

export interface CreateAppOptions {
  /**
   * The app's environment, given in-process (the demo, tests). It replaces every variable the app
   * reads, so none leaks in from the shell; without it the app reads the process's environment.
   */
  readonly env?: Readonly<Partial<Record<EnvVariable, string>>>;
  /**
   * The `.env` file to read, or `false` for none. Default `.env` in the working directory, or
   * none when `env` is given (so a developer's `.env` cannot redirect the demo or a test).
   */
  readonly envFile?: string | false;
  /**
   * Close the app on SIGTERM/SIGINT (default `true`). The demo turns it off to stop the app and
   * its emulator in order itself.
   */
  readonly shutdownHooks?: boolean;
  /**
   * Nest's logger option; default the app's pino logger (JSON lines, or `LOG_FORMAT=pretty`),
   * which also logs each request.
   */
  readonly logger?: LoggerService | LogLevel[] | false;
  /** Where the pino logger writes; default stdout. Tests read the lines from a stream of theirs. */
  readonly logDestination?: DestinationStream;
}

/** Sets exactly `env` for the variables the app reads: `ConfigModule` reads `process.env`. */
function useEnvironment(env: Readonly<Partial<Record<EnvVariable, string>>>): void {
  for (const name of ENV_VARIABLES) {
    const value = env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Builds the app as it runs everywhere (main, the demo, e2e tests), without listening: the JSON
 * body limit, shutdown hooks and the rest of the HTTP setup live here and only here.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  if (options.env) useEnvironment(options.env);
  const appModule = await AppModule.forRoot({
    envFile: options.envFile ?? (options.env === undefined ? '.env' : false),
    logDestination: options.logDestination,
  });
  const app = await NestFactory.create<NestExpressApplication>(appModule, {
    // Registered below with our limit (from FAN_OUT_MAX_RECIPIENTS) instead of Express's 100 KB.
    bodyParser: false,
    // A bad environment throws back to the caller, which prints one line and exits non-zero.
    abortOnError: false,
    logger: options.logger,
    // Until pino takes over below: what Nest logs while it starts is then written by pino too.
    bufferLogs: options.logger === undefined,
  });
  if (options.logger === undefined) app.useLogger(app.get(Logger));
  const server = app.get<ServerConfig>(serverConfig.KEY);
  // In this order: the key is checked before any body is read, and a body is checked for depth
  // before anything recurses into it.
  const jobs = app.get<FanOutJobsConfig>(fanOutJobsConfig.KEY);
  // First: every request gets its id and its log line, those refused below included.
  app.use(requestLogger(app.get<PinoLogger>(APP_LOGGER)));
  // Public, before the key check (which lets /metrics through anyway) and the body parsers.
  mountMetrics(app);
  app.use(apiKeyMiddleware(server.apiKeys));
  // Before any body is read: a key with its creations all under way is answered 429 at once.
  app.use(fanOutJobCreationLimit(jobs.creationsPerKey));
  // First, and for POST /v1/fan-outs only: JSON lists up to its JSON cap, and NDJSON read as a
  // stream up to FAN_OUT_JOB_MAX_RECIPIENTS.
  app.useBodyParser('json', fanOutJobsBodyParserOptions(jobs.jsonMaxRecipients));
  app.use(fanOutJobsNdjsonBody);
  app.useBodyParser('json', jsonBodyParserOptions(server.jsonBodyLimitBytes));
  app.use(rejectDeeplyNestedJson);
  app.disable('x-powered-by');
  setupApiDocs(app, server);
  if (options.shutdownHooks !== false) app.enableShutdownHooks();
  return app;
}

/** Creates the app and listens on `PORT`; resolves the app and its base URL. */
export async function startApp(
  options: CreateAppOptions = {},
): Promise<{ app: INestApplication; url: string }> {
  const app = await createApp(options);
  const { port } = app.get<ServerConfig>(serverConfig.KEY);
  await app.listen(port);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('[::]', 'localhost');
  return { app, url };
}
