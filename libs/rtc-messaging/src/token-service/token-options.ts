import { registerDecorator, ValidationOptions } from 'class-validator';
import { isTokenAppId, RtcAppKeys } from '../tokens';
import { DEFAULT_TOKEN_TTL_SECONDS } from './token-defaults';
import { TOKEN_APP_ID_RULE } from './token-input.dto';

/** What the module options say about tokens (see `RtcMessagingModuleOptions`). */
interface TokenModuleOptions {
  readonly appId: string;
  readonly appKey?: string;
  readonly secondaryAppKey?: string;
  readonly tokenTtlSeconds?: number;
}

/** The token part of the resolved options. */
export interface ResolvedTokenOptions {
  /** The AppKeys, which sign and check but never show; `undefined` without `appKey`. */
  readonly appKeys: RtcAppKeys | undefined;
  readonly tokenTtlSeconds: number;
}

/** No whitespace at either end: a key pasted with a newline would make every token fail. */
const APP_KEY_PATTERN = /^\S(?:[\s\S]*\S)?$/;

/**
 * An AppKey: a non-empty string without whitespace at either end. The message names the option
 * and the rule, never the value.
 */
export function IsAppKey(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'appKey',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && APP_KEY_PATTERN.test(value),
        defaultMessage: (args) =>
          `${args?.property} must be a non-empty string without whitespace at either end`,
      },
    });
}

/** What the token options break together with the others; each names the option, never a value. */
export function tokenOptionProblems(options: TokenModuleOptions): string[] {
  const problems: string[] = [];
  if (options.secondaryAppKey !== undefined && options.appKey === undefined) {
    problems.push('secondaryAppKey needs appKey: new tokens are signed with appKey');
  }
  // Checked at boot rather than at the first token: every default token would carry it.
  if (options.appKey !== undefined && !isTokenAppId(options.appId)) {
    problems.push(`appId ${TOKEN_APP_ID_RULE} when appKey is set`);
  }
  return problems;
}

/** The token options after validation, with the default applied. */
export function resolveTokenOptions(options: TokenModuleOptions): ResolvedTokenOptions {
  return {
    appKeys:
      options.appKey === undefined
        ? undefined
        : new RtcAppKeys(options.appKey, options.secondaryAppKey),
    tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
  };
}
