import {
  ID_PATTERN,
  isWellFormedText,
  MESSAGING_ACTIONS,
  MessagingAction,
  MAX_BATCH_MESSAGE_BYTES,
  MAX_BATCH_RECIPIENTS,
  MAX_MESSAGE_BYTES,
} from '../../rtc-openapi.constants';

/**
 * The body rules of the four messaging actions (version 2023-07-20).
 *
 * Source: Volcengine RTC docs 6348/1164061–1164064 (SendUnicast, SendRoomUnicast, SendBroadcast,
 * BatchSendRoomUnicast) and 6348/70426 (RTC error codes), as gathered in the project's
 * volcengine-facts notes §2.4 and §3.
 */

const ACTION_SET: ReadonlySet<string> = new Set(MESSAGING_ACTIONS);

/** Whether `action` is one of the four messaging actions. */
export function isMessagingAction(action: string): action is MessagingAction {
  return ACTION_SET.has(action);
}

interface ActionShape {
  readonly roomId: boolean;
  readonly to: 'one' | 'many' | 'none';
  readonly maxMessageBytes: number;
}

const SHAPES: Readonly<Record<MessagingAction, ActionShape>> = {
  SendUnicast: { roomId: false, to: 'one', maxMessageBytes: MAX_MESSAGE_BYTES },
  SendRoomUnicast: { roomId: true, to: 'one', maxMessageBytes: MAX_MESSAGE_BYTES },
  SendBroadcast: { roomId: true, to: 'none', maxMessageBytes: MAX_MESSAGE_BYTES },
  BatchSendRoomUnicast: { roomId: true, to: 'many', maxMessageBytes: MAX_BATCH_MESSAGE_BYTES },
};

/** A body that passed every rule, in the emulator's own field names. */
export interface ValidMessageBody {
  readonly appId: string;
  readonly from: string;
  /** A user id; the ids of a BatchSendRoomUnicast; absent for SendBroadcast. */
  readonly to?: string | readonly string[];
  /** Present for the three in-room actions. */
  readonly roomId?: string;
  readonly binary: boolean;
  /** As sent: base64 text when `binary`. */
  readonly message: string;
}

/** A broken rule: the service-level code (all HTTP 400, no CodeN) and its message. */
export interface RuleViolation {
  readonly code: string;
  readonly message: string;
}

/** The outcome of {@link checkMessageBody}. */
export type RuleOutcome =
  { readonly ok: true; readonly body: ValidMessageBody } | ({ readonly ok: false } & RuleViolation);

const fail = (code: string, message: string): RuleOutcome => ({ ok: false, code, message });

function typeViolation(name: string, value: unknown, type: string): RuleOutcome | undefined {
  if (value === undefined || value === null) {
    return fail('InvalidParameter', `missing required parameter ${name}`);
  }
  if (typeof value !== type) return fail('InvalidParameter', `parameter ${name} must be a ${type}`);
  return undefined;
}

/**
 * Strict base64: only the canonical encoding round-trips. `Buffer.from(…, 'base64')` skips junk
 * silently, so it cannot be the check by itself.
 */
function decodeStrictBase64(text: string): Buffer | undefined {
  const decoded = Buffer.from(text, 'base64');
  return decoded.toString('base64') === text ? decoded : undefined;
}

/**
 * Checks a parsed JSON body against the rules of `action`. Type and presence come first, then
 * the AppId, ids, recipient count and message, so the code matches the first rule broken.
 *
 * @param knownAppIds AppIds that exist; `undefined` accepts any non-empty AppId.
 */
export function checkMessageBody(
  action: MessagingAction,
  body: Record<string, unknown>,
  knownAppIds?: ReadonlySet<string>,
): RuleOutcome {
  const shape = SHAPES[action];
  const { AppId, From, To, RoomId, Binary, Message } = body;

  const typeError =
    typeViolation('AppId', AppId, 'string') ??
    (shape.roomId ? typeViolation('RoomId', RoomId, 'string') : undefined) ??
    typeViolation('From', From, 'string') ??
    (shape.to === 'one' ? typeViolation('To', To, 'string') : undefined) ??
    typeViolation('Binary', Binary, 'boolean') ??
    typeViolation('Message', Message, 'string');
  if (typeError) return typeError;
  if (shape.to === 'many' && !(Array.isArray(To) && To.every((id) => typeof id === 'string'))) {
    return fail(
      'InvalidParameter',
      To === undefined || To === null
        ? 'missing required parameter To'
        : 'parameter To must be an array of strings',
    );
  }

  const appId = AppId as string;
  if (appId === '') return fail('InvalidParameter', 'parameter AppId must not be empty');
  // Checked before the AppId is echoed below: a huge one would be copied into the answer.
  if (!ID_PATTERN.test(appId)) {
    return fail('InvalidParameter', 'AppId must match [a-zA-Z0-9_@\\-\\.]{1,128}');
  }
  if (knownAppIds && !knownAppIds.has(appId)) {
    return fail('InvalidParameter.NotExistAppId', `AppId ${appId} does not exist`);
  }
  if (!ID_PATTERN.test(From as string)) {
    return fail('InvalidParameter.IllegalFrom', 'From must match [a-zA-Z0-9_@\\-\\.]{1,128}');
  }
  if (shape.roomId && !ID_PATTERN.test(RoomId as string)) {
    return fail('InvalidParameter', 'RoomId must match [a-zA-Z0-9_@\\-\\.]{1,128}');
  }
  if (shape.to === 'one' && !ID_PATTERN.test(To as string)) {
    return fail('InvalidParameter.IllegalTo', 'To must match [a-zA-Z0-9_@\\-\\.]{1,128}');
  }
  if (shape.to === 'many') {
    const ids = To as string[];
    if (ids.length === 0) return fail('InvalidParameter', 'parameter To must not be empty');
    if (ids.length > MAX_BATCH_RECIPIENTS) {
      return fail(
        'InvalidParameter.UserCountOverLimit',
        `To has ${ids.length} users, more than ${MAX_BATCH_RECIPIENTS}`,
      );
    }
    const illegal = ids.findIndex((id) => !ID_PATTERN.test(id));
    if (illegal !== -1) {
      return fail(
        'InvalidParameter.IllegalTo',
        `To[${illegal}] must match [a-zA-Z0-9_@\\-\\.]{1,128}`,
      );
    }
  }

  const message = Message as string;
  if (message === '') return fail('InvalidParameter', 'parameter Message must not be empty');
  const limit = shape.maxMessageBytes;
  if (Binary) {
    const decoded = decodeStrictBase64(message);
    if (!decoded) return fail('InvalidParameter', 'Message of a binary message must be base64');
    if (decoded.length > limit) {
      return fail(
        'InvalidParameter.SizeOverLimit',
        `binary Message decodes to ${decoded.length} bytes, more than ${limit}`,
      );
    }
  } else {
    // The real upstream would turn an unpaired surrogate into U+FFFD; the emulator refuses it,
    // as the library does, so a test never passes on text users would not receive as sent.
    if (!isWellFormedText(message)) {
      return fail('InvalidParameter', 'Message must be well-formed UTF-16 (no unpaired surrogate)');
    }
    const bytes = Buffer.byteLength(message, 'utf8');
    if (bytes > limit) {
      return fail(
        'InvalidParameter.SizeOverLimit',
        `Message is ${bytes} bytes, more than ${limit}`,
      );
    }
  }

  return {
    ok: true,
    body: {
      appId,
      from: From as string,
      to: shape.to === 'none' ? undefined : (To as string | string[]),
      roomId: shape.roomId ? (RoomId as string) : undefined,
      binary: Binary as boolean,
      message,
    },
  };
}
