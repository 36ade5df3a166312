/**
 * Type-only imports of every public entry point of the packed `nestjs-volcengine-rtc`, checked by
 * `tsc --noEmit` in the scratch consumer apps: each subpath's declarations must resolve, and the
 * shapes users rely on must hold.
 */
import type {
  DeliveryOutcome,
  FieldViolation,
  RtcMessagingModuleAsyncOptions,
  RtcMessagingModuleForRootOptions,
  RtcMessagingModuleOptions,
  RtcSendResult,
  SendUnicastInput,
  UnicastService,
} from 'nestjs-volcengine-rtc';
import type {
  RtcHealthCheckOptions,
  RtcMessagingHealthIndicator,
} from 'nestjs-volcengine-rtc/health';
import type {
  AcceptedMessage,
  EmulatorFault,
  RecordedCall,
  RecordedFailure,
  RtcMessagingRecorder,
  RtcMessagingTestingOptions,
  RtcOpenApiEmulatorOptions,
} from 'nestjs-volcengine-rtc/testing';

type Holds<T extends true> = T;
type Is<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type Checks = [
  Holds<Is<DeliveryOutcome, 'not_delivered' | 'unknown'>>,
  Holds<Is<RtcSendResult['requestId'], string>>,
  Holds<Is<Awaited<ReturnType<UnicastService['sendText']>>, RtcSendResult>>,
  Holds<SendUnicastInput extends { to: string; message: string } ? true : false>,
  Holds<Is<FieldViolation['field'], string>>,
  Holds<RtcMessagingModuleForRootOptions extends RtcMessagingModuleOptions ? true : false>,
  Holds<'useFactory' extends keyof RtcMessagingModuleAsyncOptions ? true : false>,
  Holds<'isGlobal' extends keyof RtcMessagingModuleAsyncOptions ? true : false>,
  Holds<Is<RtcHealthCheckOptions['timeoutMs'], number | undefined>>,
  Holds<
    ReturnType<RtcMessagingHealthIndicator['isHealthy']> extends Promise<object> ? true : false
  >,
  Holds<Is<RecordedCall['requestId'], string>>,
  Holds<Error extends RecordedFailure ? true : false>,
  Holds<Is<ReturnType<RtcMessagingRecorder['last']>, RecordedCall | undefined>>,
  Holds<'isGlobal' extends keyof RtcMessagingTestingOptions ? true : false>,
  Holds<Is<AcceptedMessage['message'], string>>,
  Holds<
    EmulatorFault extends { type: 'error' | 'reset' | 'latency' | 'html-page' | 'result' }
      ? true
      : false
  >,
  Holds<'appIds' extends keyof RtcOpenApiEmulatorOptions ? true : false>,
];
