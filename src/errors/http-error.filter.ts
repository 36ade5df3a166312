import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Inject,
  Logger,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RtcError, RtcValidationError } from 'nestjs-volcengine-rtc';
import { serverConfig, type ServerConfig } from '../config';
import { toErrorResponse } from './error-response';
import { requestKindOf } from './sending-routes';

/**
 * Answers every error in the one JSON shape of `ErrorBody`, with `outcome` when the request asked
 * to send a message. Logs say what failed in a line, from the error's name and message: never a
 * stack, a header or a request body.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(serverConfig.KEY) private readonly server: ServerConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const context = host.switchToHttp();
    const response = context.getResponse<ServerResponse>();
    const request = context.getRequest<IncomingMessage & { originalUrl?: string }>();
    const { status, headers, body } = toErrorResponse(
      exception,
      this.server.jsonBodyLimitBytes,
      requestKindOf(request.method, request.originalUrl ?? request.url),
    );

    this.log(exception, status);
    if (response.headersSent) {
      // A stream already under way (NDJSON results): its status is sent and a second answer
      // would throw ERR_HTTP_HEADERS_SENT. It is cut instead (no final chunk), so the client sees
      // it broke rather than taking what arrived for the whole.
      if (!response.writableEnded) response.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers)) {
      httpAdapter.setHeader(response, name, value);
    }
    httpAdapter.reply(response, body, status);
  }

  private log(exception: unknown, status: number): void {
    // The caller's mistake, or a decision made on purpose (401, 404, a failed health check, which
    // terminus logs itself).
    if (exception instanceof RtcValidationError || exception instanceof HttpException) return;
    if (exception instanceof RtcError) {
      this.logger.warn(`${status}: ${exception.name}: ${exception.message}`);
      return;
    }
    if (status >= 500) {
      // No stack: a log line says what failed, not how the app is built inside.
      const what =
        exception instanceof Error ? `${exception.name}: ${exception.message}` : typeof exception;
      this.logger.error(`${status}: unexpected ${what.slice(0, 500)}`);
    }
  }
}
