import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  CreatedFanOutJob,
  FanOutJob,
  FanOutJobOutcome,
  FanOutJobState,
  FanOutJobStatus,
} from 'nestjs-volcengine-rtc/jobs';

const STATES: FanOutJobState[] = ['queued', 'running', 'cancelling', 'completed', 'cancelled'];

/** `202` of `POST /v1/fan-outs`. */
export class CreatedFanOutJobResponse implements CreatedFanOutJob {
  @ApiProperty({ description: 'The job id, for `GET /v1/fan-outs/{id}`.', format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Recipients in the job.', example: 20_000 })
  total!: number;
}

class FanOutJobSampleResponse {
  @ApiProperty({ example: 'user_7' })
  to!: string;

  @ApiProperty({ description: "The recipient's position in `to`, from 0.", example: 7 })
  index!: number;

  @ApiProperty({ example: 'interrupted: its worker stopped while the call was in flight' })
  reason!: string;
}

/** `GET /v1/fan-outs/{id}`. */
export class FanOutJobResponse implements FanOutJob {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    enum: STATES,
    description:
      '`queued`, `running`, `cancelling` (calls in flight completing), `completed` (every recipient has an outcome: sent + refused + unknown = total) or `cancelled` (sent + refused + unknown + cancelled = total).',
  })
  state!: FanOutJobState;

  @ApiProperty({ example: 20_000 })
  total!: number;

  @ApiProperty({ description: 'Recipients with an outcome so far: sent + refused + unknown.' })
  done!: number;

  @ApiProperty({ description: 'Accepted by the upstream.' })
  sent!: number;

  @ApiProperty({
    description: 'Surely not delivered: a malformed id, or refused by the upstream.',
  })
  refused!: number;

  @ApiProperty({
    description:
      'May or may not have been delivered (e.g. a timeout, or its worker died mid-call); never resent.',
  })
  unknown!: number;

  @ApiProperty({
    description:
      'Recipients never sent because the job was cancelled first: 0 until a cancelled job ends. Once the job ends, sent + refused + unknown + cancelled = total.',
  })
  cancelled!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  startedAt?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  finishedAt?: string;

  @ApiProperty({
    type: [FanOutJobSampleResponse],
    description: 'The first 100 refused recipients.',
  })
  refusals!: FanOutJobSampleResponse[];

  @ApiProperty({
    type: [FanOutJobSampleResponse],
    description: 'The first 100 recipients with an unknown outcome.',
  })
  unknowns!: FanOutJobSampleResponse[];
}

/** One line of `GET /v1/fan-outs/{id}/results` (NDJSON). */
export class FanOutJobOutcomeResponse implements FanOutJobOutcome {
  @ApiProperty({ example: 'user_1' })
  to!: string;

  @ApiProperty({ example: 0 })
  index!: number;

  @ApiProperty({
    enum: ['sent', 'refused', 'unknown', 'cancelled'],
    description: '`cancelled`: the job was cancelled before this recipient was sent.',
  })
  status!: FanOutJobStatus;

  @ApiPropertyOptional({ description: 'The upstream RequestId of a sent message.' })
  requestId?: string;

  @ApiPropertyOptional({ description: 'Why, when refused or unknown.' })
  reason?: string;
}
