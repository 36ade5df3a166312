import type { FieldViolation } from '../errors';
import { MAX_MESSAGE_BYTES } from '../rtc-openapi.constants';
import type { RtcLogger } from '../telemetry/rtc-logger';
import { orDeadline, TIMED_OUT } from './or-deadline';
import { RTC_INBOUND_TYPES, RTC_SPANS } from '../telemetry/telemetry-names';
import type { RtcTokenService } from '../token-service/rtc-token.service';
import { messageBytes } from '../validation';
import type { InboundBodyReader } from './inbound-body.reader';
import {
  asObject,
  badRequest,
  failed,
  incomplete,
  InboundAnswer,
  notConfigured,
  parseJsonObject,
  timedOut,
  tooLarge,
  unauthorized,
} from './inbound-answer';
import type { DeliveryTelemetry, InboundTelemetry } from './inbound-telemetry';
import type { RtcClientMessageHandler } from './rtc-inbound-handlers';
import type { ResolvedClientMessageRoute } from './rtc-inbound.options';
import type { RtcClientMessage, RtcClientMessageReply } from './rtc-inbound.types';

/** The acknowledgement a client receives is at most 64 KB (docs 6348/142432). */
export const MAX_REPLY_BYTES = 65_536;

/** What the client-message receiver needs besides its route. */
export interface RtcClientMessageReceiverDependencies {
  /** `undefined` when the app has no `@OnRtcClientMessage()` (the module refuses to boot then). */
  readonly handler: () => RtcClientMessageHandler | undefined;
  /** `RtcMessagingModule`'s token service, for `verifySender: 'rtc-token'`. */
  readonly tokens: RtcTokenService | undefined;
  readonly telemetry: InboundTelemetry;
  readonly logger: RtcLogger;
}

/** A sender the check proved (`userId`), or a refusal. */
type SenderCheck = { readonly userId: string | undefined } | { readonly refused: true };

/**
 * One client message, from its body to the acknowledgement: refused in the order size (413),
 * shape (400 naming the field), signature (401); then handed to the `@OnRtcClientMessage()`
 * method, whose return value is the answer's body. No log line ever holds the message, the
 * signature or the reply.
 */
export class RtcClientMessageReceiver {
  constructor(
    private readonly route: ResolvedClientMessageRoute,
    private readonly deps: RtcClientMessageReceiverDependencies,
  ) {}

  /**
   * The answer to one message; never rejects. With `verifySender: 'rtc-token'` and no AppKey the
   * route answers 503 "not configured" before it reads the body.
   */
  async receive(read: InboundBodyReader, arrivedAt: number): Promise<InboundAnswer> {
    const telemetry = this.deps.telemetry.startDelivery(RTC_SPANS.inboundClientMessage);
    telemetry.identify(RTC_INBOUND_TYPES.clientMessage);
    const answer = await this.answer(read, arrivedAt + this.route.deadlineMs, telemetry);
    telemetry.end(answer.outcome);
    return answer;
  }

  private async answer(
    read: InboundBodyReader,
    deadlineAt: number,
    telemetry: DeliveryTelemetry,
  ): Promise<InboundAnswer> {
    const { verifySender, maxBodyBytes } = this.route;
    if (verifySender === 'rtc-token' && !this.deps.tokens?.hasAppKey) {
      return notConfigured(
        'RTC client messages are not configured: verifying their tokens needs the AppKey',
      );
    }
    const body = await read(maxBodyBytes, deadlineAt - performance.now());
    if (body.kind === 'too-large') return tooLarge(maxBodyBytes);
    if (body.kind === 'incomplete') return incomplete();
    const parsed = body.kind === 'bytes' ? parseJsonObject(body.bytes) : asObject(body.value);
    if ('violation' in parsed) return badRequest([parsed.violation]);
    const shape = checkShape(parsed.value);
    if ('violations' in shape) return badRequest(shape.violations);

    const sender = await orDeadline(
      this.checkSender(shape.signature, shape.raw),
      deadlineAt - performance.now(),
    ).catch((error: unknown) => error as Error);
    if (sender === TIMED_OUT) return timedOut();
    if (sender instanceof Error) {
      this.deps.logger.error(`RTC client message: verifySender failed (${sender.name})`);
      return failed();
    }
    if ('refused' in sender) return unauthorized('signature');

    const handler = this.deps.handler();
    if (!handler) return failed();
    const message = (
      shape.raw.binary
        ? { userId: sender.userId, binary: true, message: shape.bytes }
        : { userId: sender.userId, binary: false, message: shape.raw.message }
    ) as RtcClientMessage;
    return this.run(handler, message, deadlineAt, telemetry);
  }

  private async run(
    handler: RtcClientMessageHandler,
    message: RtcClientMessage,
    deadlineAt: number,
    telemetry: DeliveryTelemetry,
  ): Promise<InboundAnswer> {
    const started = performance.now();
    const running = Promise.resolve()
      .then(() => handler.call(message))
      .then(
        (reply) => {
          telemetry.handlerRan(performance.now() - started, 'handled');
          return { reply };
        },
        (error: unknown) => {
          telemetry.handlerRan(performance.now() - started, 'failed');
          // The class only: a handler's error message may quote the client's message.
          const name = error instanceof Error ? error.name : typeof error;
          this.deps.logger.error(`RTC client-message handler ${handler.name} threw ${name}`);
          return { error };
        },
      );
    const settled = await orDeadline(running, deadlineAt - performance.now());
    if (settled === TIMED_OUT) return timedOut();
    if ('error' in settled) return failed();
    return this.encode(settled.reply, handler.name);
  }

  private async checkSender(
    signature: string,
    body: { readonly message: string; readonly binary: boolean },
  ): Promise<SenderCheck> {
    const { verifySender, acceptTokensWithoutExpiry } = this.route;
    if (verifySender === 'none') return { userId: undefined };
    if (typeof verifySender === 'function') {
      const userId = await verifySender(signature, body);
      return typeof userId === 'string' && userId.length > 0 ? { userId } : { refused: true };
    }
    const verification = await this.deps.tokens!.verifyToken(signature);
    if (!verification.valid) return { refused: true };
    if (verification.expiresAt === 0 && !acceptTokensWithoutExpiry) return { refused: true };
    return { userId: verification.userId };
  }

  /** The reply as the answer's body: at most 64 KB, never truncated. */
  private encode(reply: RtcClientMessageReply, handlerName: string): InboundAnswer {
    let body: Buffer;
    let contentType: string | undefined;
    if (reply === undefined || reply === null) {
      body = Buffer.alloc(0);
    } else if (typeof reply === 'string') {
      body = Buffer.from(reply, 'utf8');
      contentType = 'text/plain; charset=utf-8';
    } else if (reply instanceof Uint8Array) {
      body = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
      contentType = 'application/octet-stream';
    } else {
      let json: string | undefined;
      try {
        json = JSON.stringify(reply);
      } catch (error) {
        const name = error instanceof Error ? error.name : typeof error;
        this.deps.logger.error(
          `RTC client-message handler ${handlerName} returned a value that is not JSON-serializable (${name})`,
        );
        return failed();
      }
      body = Buffer.from(json ?? '', 'utf8');
      contentType = json === undefined ? undefined : 'application/json; charset=utf-8';
    }
    if (body.length > MAX_REPLY_BYTES) {
      this.deps.logger.error(
        `RTC client-message handler ${handlerName} returned ${body.length} bytes; an acknowledgement is at most ${MAX_REPLY_BYTES}: answered 500, not truncated`,
      );
      return failed();
    }
    return { status: 200, body, contentType, outcome: 'handled' };
  }
}

/** A well-formed client message, or the violations naming each broken field. */
function checkShape(body: Record<string, unknown>):
  | {
      readonly raw: { readonly message: string; readonly binary: boolean };
      readonly signature: string;
      /** The decoded bytes of a binary message. */
      readonly bytes: Buffer;
    }
  | { readonly violations: FieldViolation[] } {
  const violations: FieldViolation[] = [];
  const { message, binary, signature } = body;
  if (typeof binary !== 'boolean') {
    violations.push({
      field: 'binary',
      rule: 'isBoolean',
      message: binary === undefined ? 'binary is missing' : 'binary must be a boolean',
    });
  }
  if (typeof signature !== 'string' || signature.length === 0) {
    violations.push({
      field: 'signature',
      rule: typeof signature === 'string' ? 'notEmpty' : 'isString',
      message:
        signature === undefined
          ? 'signature is missing'
          : typeof signature === 'string'
            ? 'signature must not be empty'
            : 'signature must be a string',
    });
  }
  let bytes = Buffer.alloc(0);
  if (typeof message !== 'string') {
    violations.push({
      field: 'message',
      rule: 'isString',
      message: message === undefined ? 'message is missing' : 'message must be a string',
    });
  } else if (message.length === 0) {
    violations.push({ field: 'message', rule: 'notEmpty', message: 'message must not be empty' });
  } else if (typeof binary === 'boolean') {
    const size = messageBytes(message, binary);
    if (size === undefined) {
      violations.push({
        field: 'message',
        rule: 'canonicalBase64',
        message: 'message must be canonical base64 when binary is true',
      });
    } else if (size > MAX_MESSAGE_BYTES) {
      violations.push({
        field: 'message',
        rule: 'maxMessageBytes',
        message: `message must be at most ${MAX_MESSAGE_BYTES} bytes ${binary ? 'after base64 decoding' : 'in UTF-8'}; it is ${size} bytes`,
      });
    } else if (binary) {
      bytes = Buffer.from(message, 'base64');
    }
  }
  if (violations.length > 0) return { violations };
  return {
    raw: { message: message as string, binary: binary as boolean },
    signature: signature as string,
    bytes,
  };
}
