import { inspect } from 'node:util';
import { plainToInstance } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  validateSync,
} from 'class-validator';
import { RtcConfigurationError } from './errors';
import { Credentials } from './signing';
import { DEFAULT_ENDPOINT, DEFAULT_REGION, DEFAULT_TIMEOUT_MS } from './rtc-openapi.constants';
import { IsRtcId, toFieldViolations } from './validation';

/**
 * Options of `RtcMessagingModule.forRoot` / `forRootAsync`.
 *
 * @example
 * RtcMessagingModule.forRoot({
 *   accessKeyId: process.env.VOLC_ACCESSKEY!,
 *   secretAccessKey: process.env.VOLC_SECRETKEY!,
 *   appId: '661e000000000000000543cf',
 *   from: 'server_bot',
 * });
 */
export class RtcMessagingModuleOptions {
  /** Volcengine access key id (`AKLT…`, or `AKTP…` for STS credentials). */
  @IsString()
  @IsNotEmpty()
  accessKeyId!: string;

  /** Volcengine secret access key. Never logged, never in an error. */
  @IsString()
  @IsNotEmpty()
  secretAccessKey!: string;

  /** STS session token, sent as `X-Security-Token`. Never logged, never in an error. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  sessionToken?: string;

  /** The default RTC AppId of every call. */
  @IsString()
  @IsNotEmpty()
  appId!: string;

  /** The default sender id (`From`) of every call; must not equal a real user's id. */
  @IsRtcId()
  from!: string;

  /** Signing region. Default `cn-north-1`. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  region?: string;

  /** OpenAPI endpoint. Default `https://rtc.volcengineapi.com`. */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  endpoint?: string;

  /** Time allowed for one HTTP call, in ms. Default 10,000 (as the official SDKs). */
  // class-validator runs the lowest decorator first; with stopAtFirstError the type check must run first.
  @IsOptional()
  @Max(300_000)
  @Min(1)
  @IsInt()
  timeoutMs?: number;
}

/** Options after validation, with every default applied. */
export interface ResolvedRtcMessagingOptions {
  readonly credentials: Credentials;
  readonly appId: string;
  readonly from: string;
  readonly region: string;
  readonly endpoint: URL;
  readonly timeoutMs: number;
}

/**
 * Credentials whose secrets do not show when the object is logged, inspected or serialized, so a
 * stray `console.log(options)` cannot leak them.
 */
class RedactedCredentials implements Credentials {
  readonly accessKeyId: string;
  declare readonly secretAccessKey: string;
  declare readonly sessionToken?: string;

  constructor({ accessKeyId, secretAccessKey, sessionToken }: Credentials) {
    this.accessKeyId = accessKeyId;
    Object.defineProperty(this, 'secretAccessKey', { value: secretAccessKey, enumerable: false });
    Object.defineProperty(this, 'sessionToken', { value: sessionToken, enumerable: false });
  }

  toJSON(): object {
    return { accessKeyId: this.accessKeyId, secretAccessKey: '[redacted]' };
  }

  [inspect.custom](): string {
    return `Credentials { accessKeyId: '${this.accessKeyId}', secretAccessKey: [redacted] }`;
  }
}

/**
 * Validates the options once, at boot.
 * @throws RtcConfigurationError naming each missing or malformed option, never its value.
 */
export function resolveOptions(raw: unknown): ResolvedRtcMessagingOptions {
  if (typeof raw !== 'object' || raw === null) {
    throw new RtcConfigurationError(['options must be an object']);
  }
  const options = plainToInstance(RtcMessagingModuleOptions, raw);
  const errors = validateSync(options, {
    forbidUnknownValues: true,
    // One problem per option is enough to fix it.
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new RtcConfigurationError(toFieldViolations(errors).map((v) => v.message));
  }
  return {
    credentials: new RedactedCredentials(options),
    appId: options.appId,
    from: options.from,
    region: options.region ?? DEFAULT_REGION,
    endpoint: new URL(options.endpoint ?? DEFAULT_ENDPOINT),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}
