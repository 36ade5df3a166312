import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';

/**
 * What the budget is counted per. The docs disagree on whether the 500 calls/s are per AppId
 * (the 2023-07-20 API pages) or per Volcengine account (the usage-limits page), so it is a choice.
 * - `appId`: one budget per AppId (default);
 * - `account`: one budget per access key, shared by every AppId;
 * - a function: your own key, e.g. to share one budget between several services.
 */
export type BudgetKey =
  | 'appId'
  | 'account'
  | ((call: { readonly appId: string; readonly accessKeyId: string }) => string);

/**
 * An ioredis `Redis` or `Cluster` client, typed by the one method the check below reads, so that
 * these declarations compile in apps without ioredis (an optional peer).
 */
export interface RedisClientLike {
  evalsha(...args: never[]): unknown;
}

const isRedisClient = (value: unknown): value is RedisClientLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as RedisClientLike).evalsha === 'function';

/** A `redis://` / `rediss://` URL or an ioredis client. */
function IsRedisConnection(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'redisConnection',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          isRedisClient(value) || (typeof value === 'string' && /^rediss?:\/\/\S+$/.test(value)),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be a redis:// or rediss:// URL or an ioredis client`,
      },
    });
}

/** `appId`, `account` or a function. */
function IsBudgetKey(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'budgetKey',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) =>
          value === 'appId' || value === 'account' || typeof value === 'function',
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be 'appId', 'account' or a function`,
      },
    });
}

/**
 * The shared budget of calls to the four messaging actions. Every call, retries included, takes a
 * place before it goes out and holds it until its answer plus one second; when none is free,
 * calls wait in order.
 * (class-validator runs the lowest decorator first, so each type check sits at the bottom.)
 */
export class RateLimitOptions {
  /** Calls per second allowed for one key, over all instances sharing the store. Default 500. */
  @IsOptional()
  @Max(100_000)
  @Min(1)
  @IsInt()
  perSecond?: number;

  /** What the budget is counted per. Default `appId`. */
  @IsOptional()
  @IsBudgetKey()
  key?: BudgetKey;

  /** Longest a call waits for budget before `RtcRateLimitedError`, in ms. Default 1,000. */
  @IsOptional()
  @Min(0)
  @IsInt()
  maxWaitMs?: number;

  /** Most calls waiting per key; one more fails at once with `RtcRateLimitedError`. Default 1,000. */
  @IsOptional()
  @Min(1)
  @IsInt()
  maxQueued?: number;

  /**
   * A Redis shared by every instance of the app, so that all of them share one budget: a URL (the
   * module opens and closes its own client) or an ioredis client (yours to close). Absent: the
   * budget is in this process's memory.
   */
  @IsOptional()
  @IsRedisConnection()
  redis?: string | RedisClientLike;

  /** Prefix of the budget's Redis keys. Default `rtc-messaging:budget:`. */
  @IsOptional()
  @IsNotEmpty()
  @IsString()
  redisKeyPrefix?: string;

  /**
   * When Redis cannot be reached: `fail-closed` refuses calls with `RtcBudgetUnavailableError`
   * (default); `local` paces this instance at `perSecond / instances` in memory until Redis is back.
   */
  @IsOptional()
  @IsIn(['fail-closed', 'local'])
  onRedisError?: 'fail-closed' | 'local';

  /** How many instances share the budget; required with `onRedisError: 'local'`. */
  @ValidateIf((options: RateLimitOptions) => options.onRedisError === 'local')
  @Min(1)
  @IsInt()
  instances?: number;
}

/** The budget key of a call. */
export function budgetKeyOf(key: BudgetKey, appId: string, accessKeyId: string): string {
  if (key === 'appId') return `appId:${appId}`;
  if (key === 'account') return `account:${accessKeyId}`;
  return key({ appId, accessKeyId });
}
