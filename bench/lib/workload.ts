import type { Credentials } from '../../libs/rtc-messaging/src/signing';

/** Which client a worker process drives. */
export type ClientKind = 'module' | 'sdk' | 'raw';

export const CLIENT_KINDS: readonly ClientKind[] = ['module', 'sdk', 'raw'];

/** What the orchestrator hands a client worker (as JSON in argv). */
export interface ClientInput {
  readonly client: ClientKind;
  readonly url: string;
  readonly credentials: Credentials;
  /** Calls measured, after `warmup` calls that are not. */
  readonly calls: number;
  readonly warmup: number;
  readonly concurrency: number;
  /** The worker stops issuing calls after this long (and reports them as errors). */
  readonly deadlineMs: number;
}

/** One SendUnicast, as each client builds it for every call. */
export const APP_ID = 'bench-app';
export const FROM = 'server_bot';
export const TO = 'user_42';
/** A typical notification: ASCII, about 90 bytes. */
export const MESSAGE =
  'Your order #20240717-0042 has shipped and will arrive tomorrow between 9:00 and 12:00.';

/** The JSON body every client sends (the module builds the same one from its DTO). */
export const unicastBody = () => ({
  AppId: APP_ID,
  From: FROM,
  To: TO,
  Binary: false,
  Message: MESSAGE,
});

/** A client ready to send one SendUnicast per `send()`; rejects on anything but `Success`. */
export interface BenchClient {
  send(): Promise<void>;
  close(): Promise<void>;
}
