import { ApiProperty } from '@nestjs/swagger';
import { MAX_MESSAGE_BYTES, SendFanOutDto, SendUnicastDto } from 'nestjs-volcengine-rtc';
import {
  documentMessageOptions,
  messageProperty,
  recipientListProperty,
  rtcIdProperty,
} from '../docs/api-properties';

/*
 * The bodies of /v1/messages/*: the library's DTOs, which hold every validation rule, with only
 * OpenAPI metadata added (`declare` adds no field and no rule). The pipe validates with these
 * classes and the docs are generated from them, so both see one definition.
 */

/** `POST /v1/messages/unicast`: one message to one logged-in user (`SendUnicast`). */
export class SendUnicastRequest extends SendUnicastDto {
  @ApiProperty(rtcIdProperty('Recipient user id, as it called `login` in the RTC SDK', 'user_42'))
  declare to: string;

  @ApiProperty(messageProperty(MAX_MESSAGE_BYTES, 'Your order has shipped'))
  declare message: string;
}

/** `POST /v1/messages/fan-out`: one message to each of a list of users, one `SendUnicast` each. */
export class SendFanOutRequest extends SendFanOutDto {
  @ApiProperty(
    recipientListProperty(
      'Recipient user ids, sent to in this order; at least one, at most `FAN_OUT_MAX_RECIPIENTS`. ' +
        'Each must be a string; a malformed id does not fail the request but is reported as ' +
        'refused in the summary, and the others are still sent.',
      { type: 'string' },
      ['user_1', 'user_2', 'user_3'],
    ),
  )
  declare to: string[];

  @ApiProperty(messageProperty(MAX_MESSAGE_BYTES, 'Maintenance tonight at 02:00'))
  declare message: string;
}

// binary, from and appId: documented once for every body.
documentMessageOptions(SendUnicastRequest, SendFanOutRequest);
