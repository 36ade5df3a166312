import { ArrayNotEmpty, IsArray, IsString } from 'class-validator';
import { MessageContentDto } from '../validation';

/**
 * An HTTP body for a fan-out: one message to each of `to`, one `SendUnicast` per recipient.
 *
 * Only the shape of `to` is checked here (a non-empty array of strings): a malformed id does not
 * fail the request, it is reported as `refused` for that recipient alone, as
 * `UnicastService.sendToMany` does. Cap the list's length at the edge (it has no maximum here).
 *
 * @example
 * // POST /v1/messages/fan-out
 * { "to": ["user_1", "user_2"], "message": "Maintenance at 02:00" }
 * // controller:
 * unicast.sendToMany(body.to, body.message, { binary: body.binary, from: body.from, appId: body.appId })
 */
export class SendFanOutDto extends MessageContentDto {
  /** The recipients' user ids, in the order they are sent to. */
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  to!: string[];
}
