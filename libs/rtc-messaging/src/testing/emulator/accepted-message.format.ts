import type { AcceptedMessage } from './rtc-openapi-emulator';

/** How much of a text message a line quotes before it cuts it with `…`. */
const QUOTED_CHARACTERS = 200;

/**
 * One line for a person saying what the emulator accepted: action, sender, recipient(s), room,
 * AppId, RequestId and the message (quoted up to 200 characters; binary as its size). What
 * `npm run demo` and the standalone emulator's `--log` print for each accepted message.
 *
 * @example
 * emulator.on('accepted', (message) => console.log(describeAcceptedMessage(message)));
 * // [emulator] SendUnicast accepted: server_bot → user_42 (AppId my-app, RequestId 2026…): "Hello"
 */
export function describeAcceptedMessage(message: AcceptedMessage): string {
  const to =
    typeof message.to === 'string'
      ? message.to
      : message.to === undefined
        ? 'everyone'
        : `${message.to.length} users`;
  const where = message.roomId === undefined ? '' : ` in room ${message.roomId}`;
  const body = message.binary
    ? `<${Buffer.from(message.message, 'base64').length} bytes of binary>`
    : JSON.stringify(
        message.message.length > QUOTED_CHARACTERS
          ? `${message.message.slice(0, QUOTED_CHARACTERS)}…`
          : message.message,
      );
  return (
    `[emulator] ${message.action} accepted: ${message.from} → ${to}${where} ` +
    `(AppId ${message.appId}, RequestId ${message.requestId}): ${body}`
  );
}
