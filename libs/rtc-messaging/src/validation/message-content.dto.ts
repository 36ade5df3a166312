import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { IsRtcId } from './rtc-id.validator';
import { IsRtcMessage } from './rtc-message.validator';

/**
 * What every message may say besides its text and recipients; the base of every message DTO, so
 * each rule is written once.
 */
export class MessageOptionsDto {
  /** `true` when `message` is base64 of binary data. Default `false`. */
  @IsOptional()
  @IsBoolean()
  binary?: boolean;

  /** The sender id the clients see; defaults to the module's `from`. */
  @IsOptional()
  @IsRtcId()
  from?: string;

  /** The RTC AppId; defaults to the module's `appId`. Follows the id rule (1 to 128 characters). */
  @IsOptional()
  @IsRtcId()
  appId?: string;
}

/**
 * A message of up to 64 KB with its options, without recipients: the body of a broadcast, and
 * what `UnicastService.sendToMany` validates once before sending to anyone.
 *
 * @example
 * validateInput(MessageContentDto, { message: 'hello', from: 'ops_bot' });
 */
export class MessageContentDto extends MessageOptionsDto {
  /** Text (at most 64 KB in UTF-8), or base64 when `binary` is true (at most 64 KB decoded). */
  @IsString()
  @IsRtcMessage()
  message!: string;
}
