import { ArgumentMetadata, Inject, Injectable } from '@nestjs/common';
import { expandIdListViolations, FieldViolation, RtcValidationError } from 'nestjs-volcengine-rtc';
import { serverConfig, type ServerConfig } from '../config';
import { RtcValidationPipe } from './rtc-validation.pipe';

/** The field that holds a list body's recipients. */
const LIST_FIELD = 'to';

/**
 * Validates a body whose `to` is a list of recipients like {@link RtcValidationPipe}, and also:
 * - caps the list at `maxRecipients`: the library's DTOs set no maximum and leave it to the edge;
 * - names each malformed id by its position (`to[3]`), as the service would, rather than one
 *   violation of the whole list.
 * Every broken rule is reported at once, the cap's with the others. Subclasses say the cap.
 */
export abstract class CappedRecipientListPipe extends RtcValidationPipe {
  /** The most recipients one body may list. */
  protected abstract get maxRecipients(): number;

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const recipients = (value as Record<string, unknown> | null)?.[LIST_FIELD];
    let violations: readonly FieldViolation[] = [];
    let valid: unknown;
    try {
      valid = await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof RtcValidationError)) throw error;
      violations = expandIdListViolations(error.violations, LIST_FIELD, recipients);
    }
    const all = [...violations, ...this.capViolations(recipients)];
    if (all.length > 0) throw new RtcValidationError(all);
    return valid;
  }

  private capViolations(recipients: unknown): FieldViolation[] {
    const max = this.maxRecipients;
    if (!Array.isArray(recipients) || recipients.length <= max) return [];
    const count = (n: number) => n.toLocaleString('en-US');
    return [
      {
        field: LIST_FIELD,
        rule: 'arrayMaxSize',
        message: `${LIST_FIELD} must contain at most ${count(max)} recipients; it has ${count(recipients.length)}`,
      },
    ];
  }
}

/**
 * {@link CappedRecipientListPipe} for the requests sent while the client waits (a fan-out, a
 * room batch), capped at `FAN_OUT_MAX_RECIPIENTS`.
 *
 * @example
 * sendToMany(@Body(RecipientListPipe) body: SendFanOutRequest) {}
 */
@Injectable()
export class RecipientListPipe extends CappedRecipientListPipe {
  constructor(@Inject(serverConfig.KEY) private readonly server: ServerConfig) {
    super();
  }

  protected get maxRecipients(): number {
    return this.server.maxRecipients;
  }
}
