import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RtcConfigurationError, RtcValidationError } from '../errors';
import { RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import {
  decodeRtcToken,
  RTC_TOKEN_PRIVILEGES,
  RtcAppKeys,
  RtcTokenContent,
  RtcTokenFormatError,
  RtcTokenPrivilegeGrant,
  verifyRtcToken,
} from '../tokens';
import { validateInput } from '../validation';
import { RTC_TOKEN_CLOCK, RtcTokenClock } from './token-clock';
import { LoginTokenDto, RoomTokenDto, TokenExpectationsDto } from './token-input.dto';
import type {
  LoginTokenOptions,
  RoomTokenOptions,
  RtcIssuedToken,
  RtcTokenExpectations,
  RtcTokenVerification,
} from './rtc-token.types';

/** A nonce is a uint32; `randomInt`'s upper bound is exclusive. */
const NONCE_BOUND = 2 ** 32;

const {
  publishStream,
  publishAudioStream,
  publishVideoStream,
  publishDataStream,
  subscribeStream,
} = RTC_TOKEN_PRIVILEGES;

/** What `publish` grants: every official sample adds the three single-kind privileges with it. */
const PUBLISH_PRIVILEGES = [
  publishStream,
  publishAudioStream,
  publishVideoStream,
  publishDataStream,
];

/**
 * `{ ...options, ...ids }` for validation, refusing options that are not an object, or that
 * carry an id, which would otherwise quietly replace the argument.
 */
function inputOf(options: unknown, ids: Record<string, string>): object {
  if (options === undefined) return { ...ids };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RtcValidationError([
      { field: 'options', rule: 'isObject', message: 'options must be an object' },
    ]);
  }
  const clashes = Object.keys(ids).filter((name) => Object.hasOwn(options, name));
  if (clashes.length > 0) {
    throw new RtcValidationError(
      clashes.map((field) => ({
        field,
        rule: 'unknownField',
        message: `${field} is an argument, not an option`,
      })),
    );
  }
  return { ...options, ...ids };
}

/**
 * Makes and checks the RTC access tokens clients need: a login token for `login(token, uid)`
 * (without it a user receives no `SendUnicast` message) and a room token for `joinRoom` (without
 * it, no room message). Tokens are signed with the module's `appKey`; `verifyToken` also accepts
 * `secondaryAppKey`, so a key can be rotated while tokens signed with the other are in use.
 *
 * In a real service, the endpoint that hands these out sits behind the app's own user
 * authentication: a token lets whoever holds it act as that user.
 *
 * @example
 * constructor(private readonly tokens: RtcTokenService) {}
 * const { token, expiresAt } = await this.tokens.createRoomToken('match_17', user.id, {
 *   publish: false,
 *   expiresInSeconds: 3_600,
 * });
 */
@Injectable()
export class RtcTokenService {
  constructor(
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
    @Inject(RTC_TOKEN_CLOCK) private readonly clock: RtcTokenClock,
  ) {}

  /**
   * Whether the module has an AppKey, so tokens can be made and verified: an app can turn its
   * token endpoints off (rather than have every call fail) when it has none.
   */
  get hasAppKey(): boolean {
    return this.options.appKeys !== undefined;
  }

  /**
   * The token for `login(token, userId)`: out-of-room messaging, the receiving side of
   * `SendUnicast`. Its room id is empty and it carries no privilege.
   * @throws RtcValidationError naming each broken rule (`userId`, `expiresInSeconds`, `appId`, an unknown option)
   * @throws RtcConfigurationError when the module has no `appKey`
   */
  async createLoginToken(userId: string, options?: LoginTokenOptions): Promise<RtcIssuedToken> {
    const input = validateInput(LoginTokenDto, inputOf(options, { userId }));
    return this.issue(input, '', []);
  }

  /**
   * The token for `joinRoom(token, roomInfo, userInfo)`: the room id, user id and AppId must be
   * the ones the client passes. `publish` (audio, video and data) and `subscribe` default to
   * `true`; each privilege lasts as long as the token.
   * @throws RtcValidationError naming each broken rule (`roomId`, `userId`, `publish`, …)
   * @throws RtcConfigurationError when the module has no `appKey`
   */
  async createRoomToken(
    roomId: string,
    userId: string,
    options?: RoomTokenOptions,
  ): Promise<RtcIssuedToken> {
    const input = validateInput(RoomTokenDto, inputOf(options, { roomId, userId }));
    const codes = [
      ...(input.publish === false ? [] : PUBLISH_PRIVILEGES),
      ...(input.subscribe === false ? [] : [subscribeStream]),
    ];
    return this.issue(input, input.roomId, codes);
  }

  /**
   * Checks a token as the RTC service would: readable, for the expected AppId (default the
   * module's), signed with `appKey` or `secondaryAppKey` (compared in constant time), not expired
   * (its `expiresAt`, and at most 7 days after it was issued), and, when `expected` says so, for
   * that user and room. Never throws for a bad token: `reason` and `problem` say why it is not
   * valid, and its fields come back whenever it could be read.
   * @throws RtcValidationError when `expected` is malformed (an unknown name would skip a check)
   * @throws RtcConfigurationError when the module has no `appKey`
   *
   * @example
   * const result = await tokens.verifyToken(token, { userId: 'user_42', roomId: '' });
   * if (!result.valid) log.warn(`token refused: ${result.reason}: ${result.problem}`);
   */
  async verifyToken(
    token: string,
    expected: RtcTokenExpectations = {},
  ): Promise<RtcTokenVerification> {
    const want = validateInput(TokenExpectationsDto, expected);
    const verdict = verifyRtcToken(token, this.appKeys(), {
      now: this.nowSeconds(),
      appId: want.appId ?? this.options.appId,
    });
    if (!verdict.valid) {
      return verdict.reason === 'malformed'
        ? { valid: false, reason: 'malformed', problem: verdict.problem }
        : { valid: false, reason: verdict.reason, problem: verdict.problem, ...verdict.content };
    }
    const { content } = verdict;
    for (const field of ['userId', 'roomId'] as const) {
      if (want[field] !== undefined && content[field] !== want[field]) {
        const problem = `token is for ${field} ${JSON.stringify(content[field])}, not ${JSON.stringify(want[field])}`;
        return { valid: false, reason: field, problem, ...content };
      }
    }
    return { valid: true, ...content };
  }

  /**
   * A token's fields, without checking its signature or expiry (no AppKey needed): to see why a
   * client's token was refused.
   * @throws RtcValidationError (field `token`) saying why it cannot be read
   */
  parseToken(token: string): RtcTokenContent {
    try {
      return decodeRtcToken(token).content;
    } catch (error) {
      if (!(error instanceof RtcTokenFormatError)) throw error;
      throw new RtcValidationError([{ field: 'token', rule: 'rtcToken', message: error.message }]);
    }
  }

  private issue(
    input: LoginTokenDto,
    roomId: string,
    privilegeCodes: readonly number[],
  ): RtcIssuedToken {
    const keys = this.appKeys();
    const appId = input.appId ?? this.options.appId;
    const issuedAt = this.nowSeconds();
    const expiresAt = issuedAt + (input.expiresInSeconds ?? this.options.tokenTtlSeconds);
    const privileges: RtcTokenPrivilegeGrant[] = privilegeCodes.map((privilege) => ({
      privilege,
      expiresAt,
    }));
    // A fresh nonce per token (the official sample draws one per process), so two tokens for
    // the same user in the same second still differ.
    const nonce = randomInt(NONCE_BOUND);
    const token = keys.sign({
      appId,
      roomId,
      userId: input.userId,
      nonce,
      issuedAt,
      expiresAt,
      privileges,
    });
    return { token, appId, roomId, userId: input.userId, issuedAt, expiresAt };
  }

  private appKeys(): RtcAppKeys {
    if (this.options.appKeys === undefined) {
      throw new RtcConfigurationError([
        "appKey is not set: RtcTokenService needs the app's AppKey (RTC console → the app) to make or verify tokens",
      ]);
    }
    return this.options.appKeys;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}
