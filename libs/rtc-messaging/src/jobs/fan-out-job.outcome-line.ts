import type { SendStatus } from '../unicast/send-status';

/** Refused and unknown recipients a job keeps as samples for `get`. */
export const MAX_JOB_SAMPLES = 100;

const STATUS_LETTER: Record<SendStatus, string> = { sent: 's', refused: 'r', unknown: 'u' };
const LETTER_STATUS: Record<string, SendStatus> = { s: 'sent', r: 'refused', u: 'unknown' };

/**
 * One recorded outcome in a slice's `out` string: `offset \t letter \t JSON string \n`, where the
 * string is the RequestId of a sent call or the reason of a failed one. (`BEGIN_SLICE` writes
 * the same format for the recipients it finds interrupted.)
 */
export function outcomeLine(offset: number, status: SendStatus, value: string): string {
  return `${offset}\t${STATUS_LETTER[status]}\t${JSON.stringify(value)}\n`;
}

/** A line {@link outcomeLine} wrote, read back. */
export function parseOutcomeLine(line: string): {
  offset: number;
  status: SendStatus;
  value: string;
} {
  const [offset, letter, value] = line.split('\t', 3);
  return {
    offset: Number(offset),
    status: LETTER_STATUS[letter],
    value: JSON.parse(value) as string,
  };
}
