import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMinSize,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidationError,
  validateSync,
} from 'class-validator';
import { IsAppKey, IsRtcId, IsRtcIdList, MAX_TOKEN_TTL_SECONDS } from 'nestjs-volcengine-rtc';
import { IsTokenAppIdWithAppKey } from '../tokens/token-env.validators';
import { IsSecondaryCallbackSecretWithPrimary } from '../rtc-inbound/inbound-env.validators';
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevelName } from '../logging/log-settings';
import { OTLP_PROTOCOLS, OtlpProtocol } from '../telemetry/telemetry.constants';

/** Every environment variable the demo app reads; the single list the checks below cover. */
export const ENV_VARIABLES = [
  'VOLC_ACCESSKEY',
  'VOLC_SECRETKEY',
  'VOLC_SESSION_TOKEN',
  'RTC_APP_ID',
  'RTC_ALLOWED_APP_IDS',
  'RTC_FROM',
  'RTC_ALLOWED_FROM',
  'RTC_REGION',
  'RTC_ENDPOINT',
  'RTC_TIMEOUT_MS',
  'RTC_RATE_LIMIT_PER_SECOND',
  'RTC_RATE_LIMIT_MAX_WAIT_MS',
  'RTC_RATE_LIMIT_MAX_QUEUED',
  'RTC_RATE_LIMIT_KEY',
  'REDIS_URL',
  'RTC_RATE_LIMIT_ON_REDIS_ERROR',
  'RTC_RATE_LIMIT_INSTANCES',
  'RTC_RETRY_UNKNOWN_OUTCOME',
  'RTC_APP_KEY',
  'RTC_APP_KEY_SECONDARY',
  'RTC_TOKEN_TTL_SECONDS',
  'API_KEYS',
  'PORT',
  'FAN_OUT_MAX_RECIPIENTS',
  'FAN_OUT_JOB_MAX_RECIPIENTS',
  'FAN_OUT_JOB_CONCURRENCY',
  'FAN_OUT_JOB_RECOVER_AFTER_MS',
  'FAN_OUT_JOB_QUEUE',
  'FAN_OUT_JOB_CREATIONS_PER_KEY',
  'WORKER',
  'METRICS_ENABLED',
  'LOG_FORMAT',
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'RTC_CALLBACK_SECRET',
  'RTC_CALLBACK_SECRET_SECONDARY',
  'RTC_ECHO_CLIENT_MESSAGES',
] as const;

export type EnvVariable = (typeof ENV_VARIABLES)[number];

/**
 * Decimal digits only: `Number('')`, `Number('1e3')` and `Number('0x10')` all parse, and an env var
 * that happened to hold one of those should fail the boot rather than mean something surprising.
 */
const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;

/** An unset optional variable is often exported as the empty string; treat both the same. */
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalInteger = (params: { value: unknown }): unknown =>
  toInteger({ value: emptyToUndefined(params) });

/** A comma-separated list, each entry trimmed; empty entries (and an unset variable) add none. */
const toList = ({ value }: { value: unknown }): unknown => {
  if (value === undefined) return [];
  if (typeof value !== 'string') return value;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
};

/** `true` and `false` only: `1`, `yes` or `TRUE` fail the boot rather than guess. */
const toBoolean = (params: { value: unknown }): unknown => {
  const value = emptyToUndefined(params);
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
};

/** The most recipients a list request may name; its JSON body limit grows with it. */
export const MAX_FAN_OUT_RECIPIENTS_SETTING = 100_000;
/** `FAN_OUT_MAX_RECIPIENTS` when unset. */
export const DEFAULT_FAN_OUT_MAX_RECIPIENTS = 10_000;

/** The most recipients one fan-out job may hold; its route's JSON body limit grows with it. */
export const MAX_FAN_OUT_JOB_RECIPIENTS_SETTING = 1_000_000;

/** `FAN_OUT_JOB_CREATIONS_PER_KEY` when unset. */
export const DEFAULT_FAN_OUT_JOB_CREATIONS_PER_KEY = 2;

/**
 * The environment, converted from strings. Required secrets are checked for presence only: their
 * format is the upstream's business, and any message about their content would leak it.
 */
export class EnvironmentVariables {
  @IsString()
  @IsNotEmpty()
  VOLC_ACCESSKEY!: string;

  @IsString()
  @IsNotEmpty()
  VOLC_SECRETKEY!: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  VOLC_SESSION_TOKEN?: string;

  @IsString()
  @IsNotEmpty()
  RTC_APP_ID!: string;

  /**
   * AppIds a request may name in `appId` besides `RTC_APP_ID`; none when unset. A policy of the
   * demo, not a rule of the library (whose calls take any AppId).
   */
  @Transform(toList)
  @IsRtcIdList()
  RTC_ALLOWED_APP_IDS!: string[];

  // The library checks it too, but its error would name its option (`from`), not this variable.
  @IsRtcId()
  RTC_FROM!: string;

  /** Sender ids a request may name in `from` besides `RTC_FROM`; none when unset. */
  @Transform(toList)
  @IsRtcIdList()
  RTC_ALLOWED_FROM!: string[];

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  RTC_REGION?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  RTC_ENDPOINT?: string;

  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300_000)
  RTC_TIMEOUT_MS?: number;

  // The budget: the library's defaults (500/s per AppId in memory, 1 s of waiting, 1,000 waiting)
  // apply to whatever is unset. The bounds are the library's, so a bad value names the variable.

  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  RTC_RATE_LIMIT_PER_SECOND?: number;

  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(0)
  RTC_RATE_LIMIT_MAX_WAIT_MS?: number;

  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  RTC_RATE_LIMIT_MAX_QUEUED?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['appId', 'account'], { message: 'RTC_RATE_LIMIT_KEY must be appId or account' })
  RTC_RATE_LIMIT_KEY?: 'appId' | 'account';

  // A URL may hold a password: the message must never quote it (no `$value`).
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['fail-closed', 'local'], {
    message: 'RTC_RATE_LIMIT_ON_REDIS_ERROR must be fail-closed or local',
  })
  RTC_RATE_LIMIT_ON_REDIS_ERROR?: 'fail-closed' | 'local';

  /** Required with the local fallback: each instance then paces at `perSecond / instances`. */
  @Transform(optionalInteger)
  @ValidateIf(
    (env: EnvironmentVariables) =>
      env.RTC_RATE_LIMIT_ON_REDIS_ERROR === 'local' || env.RTC_RATE_LIMIT_INSTANCES !== undefined,
  )
  @IsInt()
  @Min(1)
  RTC_RATE_LIMIT_INSTANCES?: number;

  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean({ message: 'RTC_RETRY_UNKNOWN_OUTCOME must be true or false' })
  RTC_RETRY_UNKNOWN_OUTCOME?: boolean;

  // Access tokens (/v1/tokens/*): off without RTC_APP_KEY. The keys are secrets: checked for
  // their shape only, and no message quotes them.

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsAppKey()
  @IsTokenAppIdWithAppKey()
  RTC_APP_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsAppKey()
  RTC_APP_KEY_SECONDARY?: string;

  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_TTL_SECONDS)
  RTC_TOKEN_TTL_SECONDS?: number;

  @Transform(toList)
  @IsString({ each: true })
  @ArrayMinSize(1)
  API_KEYS!: string[];

  @Transform((params) => optionalInteger(params) ?? 3000)
  @IsInt()
  @Min(1)
  @Max(65_535)
  PORT!: number;

  @Transform((params) => optionalInteger(params) ?? DEFAULT_FAN_OUT_MAX_RECIPIENTS)
  @IsInt()
  @Min(1)
  @Max(MAX_FAN_OUT_RECIPIENTS_SETTING)
  FAN_OUT_MAX_RECIPIENTS!: number;

  // Fan-out jobs (/v1/fan-outs, on BullMQ): off without REDIS_URL.

  @Transform((params) => optionalInteger(params) ?? MAX_FAN_OUT_JOB_RECIPIENTS_SETTING)
  @IsInt()
  @Min(1)
  @Max(MAX_FAN_OUT_JOB_RECIPIENTS_SETTING)
  FAN_OUT_JOB_MAX_RECIPIENTS!: number;

  /** Calls in flight per worker process; the library's default (32) when unset. */
  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000)
  FAN_OUT_JOB_CONCURRENCY?: number;

  /** How soon a dead worker's slice is taken over; the library's default (30 s) when unset. */
  @Transform(optionalInteger)
  @IsOptional()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  FAN_OUT_JOB_RECOVER_AFTER_MS?: number;

  /** The BullMQ queue's name: instances that share it share the jobs. Default `rtc-fan-out`. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,100}$/, {
    message: 'FAN_OUT_JOB_QUEUE must be 1 to 100 letters, digits, _ . or -',
  })
  FAN_OUT_JOB_QUEUE?: string;

  /**
   * Job creations (`POST /v1/fan-outs`) one API key may have under way at once on this instance;
   * one more is answered 429. Default 2.
   */
  @Transform((params) => optionalInteger(params) ?? DEFAULT_FAN_OUT_JOB_CREATIONS_PER_KEY)
  @IsInt()
  @Min(1)
  @Max(100)
  FAN_OUT_JOB_CREATIONS_PER_KEY!: number;

  /** `false`: this instance accepts fan-out jobs but runs no worker. Default `true`. */
  @Transform((params) => toBoolean(params) ?? true)
  @IsBoolean({ message: 'WORKER must be true or false' })
  WORKER!: boolean;

  // Observability. The OpenTelemetry SDK reads OTEL_* itself (src/telemetry), before this runs;
  // the protocol is checked here so that a value it cannot honour stops the boot.

  /** `false` turns `GET /metrics` off. Default `true`. */
  @Transform((params) => toBoolean(params) ?? true)
  @IsBoolean({ message: 'METRICS_ENABLED must be true or false' })
  METRICS_ENABLED!: boolean;

  /** `json` (default): one JSON object per line; `pretty`: coloured lines for a person. */
  @Transform((params) => emptyToUndefined(params) ?? 'json')
  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT!: LogFormat;

  /** The least severe level logged. Default `info`. */
  @Transform((params) => emptyToUndefined(params) ?? 'info')
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL!: LogLevelName;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(OTLP_PROTOCOLS, {
    message: `OTEL_EXPORTER_OTLP_PROTOCOL must be one of ${OTLP_PROTOCOLS.join(', ')}`,
  })
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol;

  // What RTC sends the app (POST /v1/rtc/events, /v1/rtc/client-messages). The callback secrets
  // are secrets: checked for presence only, and no message quotes them.

  /** The callback secret set in the RTC console; unset: POST /v1/rtc/events answers 503. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  RTC_CALLBACK_SECRET?: string;

  /** The previous callback secret, accepted too while the console's is rotated. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @IsSecondaryCallbackSecretWithPrimary()
  RTC_CALLBACK_SECRET_SECONDARY?: string;

  /** `false`: client messages are acknowledged but not echoed back. Default `true`. */
  @Transform((params) => toBoolean(params) ?? true)
  @IsBoolean({ message: 'RTC_ECHO_CLIENT_MESSAGES must be true or false' })
  RTC_ECHO_CLIENT_MESSAGES!: boolean;
}

/** Why the environment was refused: the variables and rules, never the values. */
export class EnvValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment: ${problems.join('; ')}`);
    this.name = 'EnvValidationError';
  }
}

/**
 * class-validator's default messages name the property and the rule, never the value (as long as
 * no message uses `$value`); missing variables get a sentence of their own.
 */
/** Why a variable that is only sometimes required is required. */
const REQUIRED_WHEN: Partial<Record<EnvVariable, string>> = {
  RTC_RATE_LIMIT_INSTANCES: ' with RTC_RATE_LIMIT_ON_REDIS_ERROR=local',
};

function problemOf(error: ValidationError, raw: Record<string, unknown>): string {
  if (raw[error.property] === undefined) {
    return `${error.property} is required${REQUIRED_WHEN[error.property as EnvVariable] ?? ''}`;
  }
  const rules = Object.values(error.constraints ?? {});
  return rules.length > 0 ? rules.join(', ') : `${error.property} is invalid`;
}

/**
 * Checks the environment and converts it from strings. Variables the app does not read are left
 * out of the result.
 * @throws EnvValidationError naming each missing or malformed variable
 */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const known = Object.fromEntries(ENV_VARIABLES.map((name) => [name, raw[name]]));
  const env = plainToInstance(EnvironmentVariables, known);
  const errors = validateSync(env, {
    skipMissingProperties: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw new EnvValidationError(errors.map((error) => problemOf(error, known)));
  }
  return env;
}

/**
 * The `validate` of `ConfigModule.forRoot`: refuses a bad environment at boot, naming each
 * variable. It returns the variables as they came, strings: `ConfigModule` copies what `validate`
 * returns into `process.env` (where the config namespaces parse them), and it copies only strings
 * and numbers, so the converted `API_KEYS` array would be lost on the way.
 * @throws EnvValidationError naming each missing or malformed variable
 */
export function checkEnv(raw: Record<string, unknown>): Record<string, unknown> {
  validateEnv(raw);
  return raw;
}
