import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RoomBatchChunk, RoomBatchResult, SendStatus } from 'nestjs-volcengine-rtc';

/** One call of a batch, as answered: its place in the list and what became of it. */
export class RoomBatchChunkResponse implements Omit<RoomBatchChunk, 'to' | 'error'> {
  @ApiProperty({ description: 'Position in `to` of the call’s first id.', example: 0 })
  start!: number;

  @ApiProperty({
    description: 'Position after its last id: the call sent `to.slice(start, end)`.',
    example: 600,
  })
  end!: number;

  @ApiProperty({
    enum: ['sent', 'refused', 'unknown'],
    description:
      '`sent`: accepted; `refused`: surely not delivered, safe to send again; `unknown`: may have been delivered, sending again may duplicate.',
    example: 'sent',
  })
  status!: SendStatus;

  @ApiPropertyOptional({
    description: "The upstream's RequestId, for a `sent` call.",
    example: '20261125202214ADF0D6F2B36DA9B083B3F3AA',
  })
  requestId?: string;

  @ApiPropertyOptional({
    description: 'Why, in one line, for a `refused` or `unknown` call.',
    example: 'RTC call budget exhausted; retry in 1030 ms',
  })
  reason?: string;
}

/** What a batch did: one entry per call of at most 600 ids, and the recipients counted. */
export class RoomBatchResponse implements Omit<RoomBatchResult, 'chunks'> {
  @ApiProperty({
    type: [RoomBatchChunkResponse],
    description: 'One entry per call, in list order.',
    example: [
      { start: 0, end: 600, status: 'sent', requestId: '20261125202214ADF0D6F2B36DA9B083B3F3AA' },
      {
        start: 600,
        end: 1200,
        status: 'sent',
        requestId: '20261125202214B1C2D3E4F5A6B7C8D9E0F1A2',
      },
      {
        start: 1200,
        end: 1201,
        status: 'sent',
        requestId: '20261125202214C3D4E5F6A7B8C9D0E1F2A3B4',
      },
    ],
  })
  chunks!: RoomBatchChunkResponse[];

  @ApiProperty({ description: 'Recipients in accepted calls.', example: 1201 })
  sent!: number;

  @ApiProperty({
    description: 'Recipients in calls surely not delivered, cancelled ones included.',
    example: 0,
  })
  refused!: number;

  @ApiProperty({ description: 'Recipients in calls that may have been delivered.', example: 0 })
  unknown!: number;

  @ApiProperty({
    description: '`true` when the client went away before every call was made.',
    example: false,
  })
  cancelled!: boolean;
}

/**
 * The result as answered: chunk positions instead of the recipient lists (the caller sent them),
 * and the reason's line instead of the error object.
 */
export function toRoomBatchResponse(result: RoomBatchResult): RoomBatchResponse {
  return {
    chunks: result.chunks.map(({ start, end, status, requestId, reason }) => ({
      start,
      end,
      status,
      ...(requestId === undefined ? {} : { requestId }),
      ...(reason === undefined ? {} : { reason }),
    })),
    sent: result.sent,
    refused: result.refused,
    unknown: result.unknown,
    cancelled: result.cancelled,
  };
}
