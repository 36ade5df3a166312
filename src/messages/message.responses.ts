import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FanOutFailureSample, FanOutSummary, RtcSendResult } from 'nestjs-volcengine-rtc';

/*
 * What /v1/messages/* answer, for the docs; `implements` keeps each in step with the library's
 * result type it documents.
 */

/** One accepted message. */
export class SendResultResponse implements RtcSendResult {
  @ApiProperty({
    description: "The upstream's `ResponseMetadata.RequestId`, to quote to Volcengine support.",
    example: '20261125202214ADF0D6F2B36DA9B083B3F3AA',
  })
  requestId!: string;

  @ApiPropertyOptional({
    description:
      "The upstream's `Result.Message`: `Success`. The upstream accepted the message; that is not a receipt from the user. Absent when its answer carried none.",
    example: 'Success',
  })
  message?: string;
}

/** A recipient that was not, or may not have been, delivered. */
export class FanOutFailureSampleResponse implements FanOutFailureSample {
  @ApiProperty({ description: 'The recipient, as sent.', example: 'user 2!' })
  to!: string;

  @ApiProperty({ description: 'Its position in `to`, from 0.', example: 1 })
  index!: number;

  @ApiProperty({
    description: 'Why, in one line.',
    example:
      'to must be a string of 1 to 128 characters from a-z A-Z 0-9 _ @ . - (pattern ^[a-zA-Z0-9_@.-]{1,128}$)',
  })
  reason!: string;
}

/** What a fan-out did. */
export class FanOutSummaryResponse implements FanOutSummary {
  @ApiProperty({ description: 'Recipients attempted: `sent + refused + unknown`.', example: 3 })
  done!: number;

  @ApiProperty({ description: 'Recipients whose message the upstream accepted.', example: 2 })
  sent!: number;

  @ApiProperty({
    description:
      'Recipients surely not delivered (malformed id, refused, throttled, unreachable, cancelled): sending to them again cannot duplicate.',
    example: 1,
  })
  refused!: number;

  @ApiProperty({
    description:
      'Recipients that may have been delivered (`outcome: unknown`): sending to them again may deliver twice.',
    example: 0,
  })
  unknown!: number;

  @ApiProperty({
    type: [FanOutFailureSampleResponse],
    description: 'The first 100 refused recipients, with the reason each was refused.',
  })
  refusals!: FanOutFailureSampleResponse[];

  @ApiProperty({
    type: [FanOutFailureSampleResponse],
    description: 'The first 100 recipients whose outcome is unknown, with the reason.',
    example: [],
  })
  unknowns!: FanOutFailureSampleResponse[];

  @ApiProperty({
    description:
      '`true` when the run was cancelled (the client went away) before every recipient was attempted.',
    example: false,
  })
  cancelled!: boolean;

  @ApiProperty({ description: 'Wall time of the run, in milliseconds.', example: 12 })
  elapsedMs!: number;
}

/** The summary as answered: the library's, field by field (nothing else it may carry). */
export function toFanOutResponse(summary: FanOutSummary): FanOutSummaryResponse {
  const sample = ({ to, index, reason }: FanOutFailureSample) => ({ to, index, reason });
  return {
    done: summary.done,
    sent: summary.sent,
    refused: summary.refused,
    unknown: summary.unknown,
    refusals: summary.refusals.map(sample),
    unknowns: summary.unknowns.map(sample),
    cancelled: summary.cancelled,
    elapsedMs: summary.elapsedMs,
  };
}
