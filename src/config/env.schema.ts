import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMinSize,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  ValidationError,
  validateSync,
} from 'class-validator';
import { IsRtcId } from 'nestjs-volcengine-rtc';

/** Every environment variable the demo app reads; the single list the checks below cover. */
export const ENV_VARIABLES = [
  'VOLC_ACCESSKEY',
  'VOLC_SECRETKEY',
  'VOLC_SESSION_TOKEN',
  'RTC_APP_ID',
  'RTC_FROM',
  'RTC_REGION',
  'RTC_ENDPOINT',
  'RTC_TIMEOUT_MS',
  'API_KEYS',
  'PORT',
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

  // The library checks it too, but its error would name its option (`from`), not this variable.
  @IsRtcId()
  RTC_FROM!: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  RTC_REGION?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  RTC_ENDPOINT?: string;

  @Transform((params) => toInteger({ value: emptyToUndefined(params) }))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300_000)
  RTC_TIMEOUT_MS?: number;

  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((key) => key.trim())
          .filter((key) => key.length > 0)
      : value,
  )
  @IsString({ each: true })
  @ArrayMinSize(1)
  API_KEYS!: string[];

  @Transform((params) => toInteger({ value: emptyToUndefined(params) }) ?? 3000)
  @IsInt()
  @Min(1)
  @Max(65_535)
  PORT!: number;
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
function problemOf(error: ValidationError, raw: Record<string, unknown>): string {
  if (raw[error.property] === undefined) return `${error.property} is required`;
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
