import { IsRtcId, MessageContentDto } from '../validation';

/**
 * One out-of-room message to one user (`SendUnicast`). The same class validates HTTP bodies at a
 * controller's `ValidationPipe` and calls of `UnicastService.send`.
 *
 * @example
 * await unicast.send({ to: 'user_42', message: 'hello' });
 * await unicast.send({ to: 'user_42', message: 'aGVsbG8=', binary: true, from: 'billing_bot' });
 */
export class SendUnicastDto extends MessageContentDto {
  /** The recipient's user id, as it called `login` in the RTC client SDK. */
  @IsRtcId()
  to!: string;
}

/** What `UnicastService.send` takes: the DTO's shape, as a plain object or an instance. */
export type SendUnicastInput = Pick<SendUnicastDto, 'to' | 'message'> &
  Partial<Pick<SendUnicastDto, 'binary' | 'from' | 'appId'>>;

/** Per-call overrides of the module's defaults for `sendText` / `sendBinary`. */
export type SendOptions = Partial<Pick<SendUnicastDto, 'from' | 'appId'>> & CallOptions;

/** How one call may be cancelled. */
export interface CallOptions {
  /** Stops waiting for budget or for a retry; a request already sent still completes. */
  signal?: AbortSignal;
}

/** What the upstream answered for an accepted message. */
export interface RtcSendResult {
  /** `ResponseMetadata.RequestId`, to quote to Volcengine support. */
  readonly requestId: string;
  /**
   * `Result.Message`, `Success` when the upstream accepted the message; `undefined` when its answer
   * (a 2xx without an error, which is what decides acceptance) carried no readable one.
   */
  readonly message?: string;
}
