import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsNotEmpty,
  IsOptional,
  IsString,
} from 'class-validator';
import { IsRtcId, IsRtcMessage } from '../validation';

/**
 * The message of a fan-out, without its recipients: what `UnicastService.sendToMany` validates
 * once, before anything is sent. Same rules as `SendUnicastDto`.
 *
 * @example
 * validateInput(FanOutMessageDto, { message: 'hello', from: 'ops_bot' });
 */
export class FanOutMessageDto {
  /** Text (at most 64 KB in UTF-8), or base64 when `binary` is true (at most 64 KB decoded). */
  @IsString()
  @IsRtcMessage()
  message!: string;

  /** `true` when `message` is base64 of binary data. Default `false`. */
  @IsOptional()
  @IsBoolean()
  binary?: boolean;

  /** The sender id the clients see; defaults to the module's `from`. */
  @IsOptional()
  @IsRtcId()
  from?: string;

  /** The RTC AppId; defaults to the module's `appId`. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  appId?: string;
}

/**
 * An HTTP body for a fan-out: one message to each of `to`, one `SendUnicast` per recipient.
 *
 * Only the shape of `to` is checked here (a non-empty array of strings): a malformed id does not
 * fail the request, it is reported as `refused` for that recipient alone, as
 * `UnicastService.sendToMany` does. Cap the list's length at the edge (it has no maximum here).
 *
 * @example
 * // POST /v1/messages/fan-out
 * { "to": ["user_1", "user_2"], "message": "Maintenance at 02:00" }
 * // controller:
 * unicast.sendToMany(body.to, body.message, { binary: body.binary, from: body.from, appId: body.appId })
 */
export class SendFanOutDto extends FanOutMessageDto {
  /** The recipients' user ids, in the order they are sent to. */
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  to!: string[];
}
