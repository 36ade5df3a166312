import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { MAX_MESSAGE_BYTES, SendFanOutDto } from 'nestjs-volcengine-rtc';
import {
  documentMessageOptions,
  messageProperty,
  recipientListProperty,
} from '../docs/api-properties';

/**
 * `POST /v1/fan-outs`: the body of `POST /v1/messages/fan-out` (the library's DTO, its rules
 * unchanged), for up to `FAN_OUT_JOB_MAX_RECIPIENTS` recipients, and `atLeastOnce`.
 */
export class CreateFanOutJobRequest extends SendFanOutDto {
  @ApiProperty(
    recipientListProperty(
      'Recipient user ids, sent to in this order; at least one, at most `FAN_OUT_JOB_MAX_RECIPIENTS` (default 1,000,000). A malformed id fails the request (400 naming `to[i]`), and nothing is created.',
      { type: 'string' },
      ['user_1', 'user_2', 'user_3'],
    ),
  )
  declare to: string[];

  @ApiProperty(messageProperty(MAX_MESSAGE_BYTES, 'Maintenance tonight at 02:00'))
  declare message: string;

  @ApiPropertyOptional({
    description:
      'Resend a recipient whose call was on the wire when its worker died. Default false: it is reported `unknown` (interrupted) and never sent twice.',
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  atLeastOnce?: boolean;
}

documentMessageOptions(CreateFanOutJobRequest);
