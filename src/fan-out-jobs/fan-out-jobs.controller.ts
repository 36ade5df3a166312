import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Logger,
  NotFoundException,
  Optional,
  Param,
  Post,
  Res,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiTooManyRequestsResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { FanOutJobs, FanOutJobsUnavailableError } from 'nestjs-volcengine-rtc/jobs';
import { SenderPolicyPipe } from '../auth/sender-policy.pipe';
import { API_KEY_SECURITY } from '../docs/api-docs.constants';
import { ApiErrorResponses, ErrorBodyResponse } from '../docs/error-responses';
import { toErrorResponse } from '../errors/error-response';
import type { RequestKind } from '../errors/sending-routes';
import { ClientDisconnectSignal } from '../http/client-disconnect-signal.decorator';
import { TooManyJobCreationsException } from './fan-out-job-creation.limit';
import { FanOutJobBody, FanOutJobRequestPipe } from './fan-out-job-request.pipe';
import { CreateFanOutJobRequest } from './fan-out-job.requests';
import {
  CreatedFanOutJobResponse,
  FanOutJobOutcomeResponse,
  FanOutJobResponse,
} from './fan-out-job.responses';
import { JOBS_NOT_CONFIGURED, JobsConfiguredGuard } from './jobs-configured.guard';

const NOT_FOUND = 'no fan-out job has this id (or its retention ran out)';

const ALREADY_ENDED = 'the fan-out job has already ended: there is nothing left to cancel';

/**
 * The 503: no `REDIS_URL`, or the jobs' Redis is down; `kind` says whether the route sends (then
 * `outcome` is set).
 */
const noRedisResponse = (kind: RequestKind) =>
  ApiServiceUnavailableResponse({
    type: ErrorBodyResponse,
    description:
      '`REDIS_URL` is not set, so this app runs no fan-out jobs; or their Redis is down, or did not answer within 250 ms. Nothing was created or changed; try again later.',
    examples: {
      notConfigured: {
        summary: 'No REDIS_URL',
        value: toErrorResponse(new ServiceUnavailableException(JOBS_NOT_CONFIGURED), 0, kind).body,
      },
      redisDown: {
        summary: 'Their Redis is down',
        value: toErrorResponse(
          new FanOutJobsUnavailableError('connection is reconnecting'),
          0,
          kind,
        ).body,
      },
    },
  });
const NO_REDIS_RESPONSE = noRedisResponse('other');

const TOO_MANY_CREATIONS_RESPONSE = ApiTooManyRequestsResponse({
  type: ErrorBodyResponse,
  description:
    'This API key already has `FAN_OUT_JOB_CREATIONS_PER_KEY` creations under way on this instance; its body was not read. Retry after `Retry-After` seconds.',
  headers: {
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      schema: { type: 'integer', minimum: 1 },
    },
  },
  example: toErrorResponse(new TooManyJobCreationsException(2), 0, 'send').body,
});

const NOT_FOUND_RESPONSE = ApiNotFoundResponse({
  type: ErrorBodyResponse,
  description: 'No job has this id.',
  example: toErrorResponse(new NotFoundException(NOT_FOUND), 0, 'other').body,
});

/**
 * Fan-outs as durable jobs (BullMQ on Redis): accepted at once (202), sent by the workers of every
 * instance that runs one (`WORKER`), followed by polling, Server-Sent Events or the results stream.
 */
@ApiTags('fan-out jobs')
@ApiSecurity(API_KEY_SECURITY)
@Controller('v1/fan-outs')
@UseGuards(JobsConfiguredGuard)
export class FanOutJobsController {
  private readonly logger = new Logger(FanOutJobsController.name);

  // Optional: without REDIS_URL the jobs module is not registered, and the guard answers 503.
  constructor(@Optional() private readonly jobs: FanOutJobs) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Start a fan-out job: one message to each of up to 1,000,000 users',
    description:
      'Validates the message, stores the recipients in Redis and queues the job; answers 202 with its id and a `Location` header. A malformed id is a 400 naming it (`to[3]`), and nothing is created. Workers send it under the shared call budget, behind single sends; a job survives restarts, and a recipient is never sent twice unless `atLeastOnce`.\n\n' +
      'Two body formats. `application/json`: the object below, `to` listing at most 10,000 ids (more is a 413). `application/x-ndjson`, for up to `FAN_OUT_JOB_MAX_RECIPIENTS` (default 1,000,000): the first line is the object below without `to`, then one recipient id per line as a JSON string (`"user_1"`); it is read as a stream and written to Redis in chunks, so the app never holds the whole list. A line that is not a JSON string, or a malformed id, is a 400 naming `to[i]`, `i` counting recipient lines from 0 (line `i + 2`), and nothing is created.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ type: CreateFanOutJobRequest })
  @ApiAcceptedResponse({ type: CreatedFanOutJobResponse, description: 'The job is queued.' })
  @ApiErrorResponses([400, 401, 403, 413])
  @TOO_MANY_CREATIONS_RESPONSE
  @noRedisResponse('send')
  async create(
    @Body(FanOutJobRequestPipe, SenderPolicyPipe) body: FanOutJobBody,
    @Res({ passthrough: true }) response: ServerResponse,
  ): Promise<CreatedFanOutJobResponse> {
    const { to, message, binary, from, appId, atLeastOnce } = body;
    const created = await this.jobs.create({
      to,
      message,
      binary,
      from,
      appId,
      atLeastOnce,
      // A malformed id is a 400 naming it (`to[3]`), and nothing is created.
      malformedIds: 'fail',
    });
    response.setHeader('Location', `/v1/fan-outs/${created.id}`);
    return created;
  }

  @Get(':id')
  @ApiOperation({ summary: "A fan-out job's state, counts and first refusals and unknowns" })
  @ApiOkResponse({ type: FanOutJobResponse })
  @ApiErrorResponses([401], 'other')
  @NOT_FOUND_RESPONSE
  @NO_REDIS_RESPONSE
  async get(@Param('id') id: string): Promise<FanOutJobResponse> {
    const job = await this.jobs.get(id);
    if (!job) throw new NotFoundException(NOT_FOUND);
    return job as FanOutJobResponse;
  }

  @Delete(':id')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Cancel a fan-out job',
    description:
      'No further recipient is sent; calls waiting for budget give up, calls on the wire complete and are reported. The job is `cancelling` until they have, then `cancelled`, and every recipient it did not send counts as `cancelled`. A job that has already ended answers 409 with the job, unchanged.',
  })
  @ApiAcceptedResponse({ type: FanOutJobResponse })
  @ApiConflictResponse({
    type: ErrorBodyResponse,
    description: 'The job has already ended; `job` is the job, unchanged.',
  })
  @ApiErrorResponses([401], 'other')
  @NOT_FOUND_RESPONSE
  @NO_REDIS_RESPONSE
  async cancel(@Param('id') id: string): Promise<FanOutJobResponse> {
    const cancellation = await this.jobs.cancel(id);
    if (!cancellation) throw new NotFoundException(NOT_FOUND);
    const job = cancellation.job as FanOutJobResponse;
    if (!cancellation.stopped) throw new ConflictException({ message: ALREADY_ENDED, job });
    return job;
  }

  @Get(':id/results')
  @ApiOperation({
    summary: "Every recipient's outcome, as NDJSON, in recipient order",
    description:
      "One JSON object per line: `to`, `index`, `status`, and `requestId` or `reason`. Outcomes recorded so far while the job runs; kept for 7 days. If the jobs' Redis fails mid-stream, the response is cut (no final chunk), so a client never takes a partial list for the whole.",
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ type: FanOutJobOutcomeResponse, description: 'One line per recipient.' })
  @ApiErrorResponses([401], 'other')
  @NOT_FOUND_RESPONSE
  @NO_REDIS_RESPONSE
  async results(
    @Param('id') id: string,
    @Res() response: ServerResponse,
    @ClientDisconnectSignal() signal: AbortSignal,
  ): Promise<void> {
    if (!(await this.jobs.get(id))) throw new NotFoundException(NOT_FOUND);
    response.writeHead(HttpStatus.OK, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
    let lines = '';
    for await (const outcome of this.jobs.results(id)) {
      if (signal.aborted) break;
      lines += `${JSON.stringify(outcome)}\n`;
      // A line at a time would be a write per recipient; 64 KB at a time, with backpressure.
      if (lines.length >= 65_536) {
        if (!response.write(lines))
          await once(response, 'drain', { signal }).catch(() => undefined);
        lines = '';
      }
    }
    response.end(lines);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: "A fan-out job's progress, as Server-Sent Events, until it ends",
    description:
      "A `progress` event (`id`, `state`, `total`, `done`, `sent`, `refused`, `unknown`, `cancelled`) each time the counts change, at most twice a second; the stream closes after the event of a `completed` or `cancelled` job. If the jobs' Redis fails mid-stream, an `error` event (the error body a request would get, e.g. 503) closes it.",
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'The event stream.' })
  @ApiErrorResponses([401], 'other')
  @NOT_FOUND_RESPONSE
  @NO_REDIS_RESPONSE
  async events(
    @Param('id') id: string,
    @Res() response: ServerResponse,
    @ClientDisconnectSignal() signal: AbortSignal,
  ): Promise<void> {
    if (!(await this.jobs.get(id))) throw new NotFoundException(NOT_FOUND);
    response.writeHead(HttpStatus.OK, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Proxies such as nginx would otherwise hold the events back.
      'X-Accel-Buffering': 'no',
    });
    try {
      for await (const progress of this.jobs.progress(id, { signal })) {
        response.write(`event: progress\ndata: ${JSON.stringify(progress)}\n\n`);
      }
    } catch (error) {
      // The status is sent: the failure (Redis gone mid-stream, say) can only be told in the
      // stream, as the error body a request would get, before it ends.
      const { body } = toErrorResponse(error, 0, 'other');
      this.logger.warn(`events of a fan-out job ended early: ${body.message}`);
      response.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
    } finally {
      response.end();
    }
  }
}
