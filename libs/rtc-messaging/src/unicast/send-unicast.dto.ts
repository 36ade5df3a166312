import { IsBoolean, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { IsRtcId, IsRtcMessage } from '../validation';

/**
 * One out-of-room message to one user (`SendUnicast`). The same class validates HTTP bodies at a
 * controller's `ValidationPipe` and calls of `UnicastService.send`.
 *
 * @example
 * await unicast.send({ to: 'user_42', message: 'hello' });
 * await unicast.send({ to: 'user_42', message: 'aGVsbG8=', binary: true, from: 'billing_bot' });
 */
export class SendUnicastDto {
  /** The recipient's user id, as it called `login` in the RTC client SDK. */
  @IsRtcId()
  to!: string;

  /** Text (at most 64 KB in UTF-8), or base64 when `binary` is true (at most 64 KB decoded). */
  @IsString()
  @IsRtcMessage()
  message!: string;

  /** `true` when `message` is base64 of binary data. Default `false`. */
  @IsOptional()
  @IsBoolean()
  binary?: boolean;

  /** The sender id the client sees; defaults to the module's `from`. */
  @IsOptional()
  @IsRtcId()
  from?: string;

  /** The RTC AppId; defaults to the module's `appId`. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  appId?: string;
}

/** What `UnicastService.send` takes: the DTO's shape, as a plain object or an instance. */
export type SendUnicastInput = Pick<SendUnicastDto, 'to' | 'message'> &
  Partial<Pick<SendUnicastDto, 'binary' | 'from' | 'appId'>>;

/** Per-call overrides of the module's defaults for `sendText` / `sendBinary`. */
export type SendOptions = Partial<Pick<SendUnicastDto, 'from' | 'appId'>>;

/** What the upstream answered for an accepted message. */
export interface RtcSendResult {
  /** `ResponseMetadata.RequestId`, to quote to Volcengine support. */
  readonly requestId: string;
  /** `Result.Message`, `Success` when the upstream accepted the message. */
  readonly message: string;
}
