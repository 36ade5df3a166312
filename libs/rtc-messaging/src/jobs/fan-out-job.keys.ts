/**
 * The name of one key of a job. Every key of a job shares one hash tag (`{id}`), so the scripts
 * that touch several of them also run on a Redis Cluster.
 */
export function jobKey(keyPrefix: string, id: string, name: string): string {
  return `${keyPrefix}:{${id}}:${name}`;
}

/** The keys a job has for each of its slices (see `FanOutJobStore` for what each holds). */
export const SLICE_KEY_NAMES = ['ids', 'out', 'rec', 'fly'] as const;

/** The keys a job has once, whatever its size. */
export const JOB_KEY_NAMES = ['meta', 'refusals', 'unknowns', 'lanes'] as const;

/** Every key a job of `slices` slices may have. */
export function* allJobKeys(keyPrefix: string, id: string, slices: number): Generator<string> {
  for (const name of JOB_KEY_NAMES) yield jobKey(keyPrefix, id, name);
  for (let slice = 0; slice < slices; slice++) {
    for (const name of SLICE_KEY_NAMES) yield jobKey(keyPrefix, id, `${name}:${slice}`);
  }
}

/**
 * How a recipient id is stored in its slice's `ids` list: as a JSON string. A script reads one
 * with `LINDEX` and splices it into a JSON sample as it is, without decoding anything (Redis'
 * cjson refuses the escape of a lone surrogate, which `JSON.stringify` writes); and any string,
 * even one that is not well-formed UTF-16, comes back exactly as it was given.
 */
export const encodeStoredId = (id: string): string => JSON.stringify(id);

/** The id {@link encodeStoredId} stored. */
export const decodeStoredId = (stored: string): string => JSON.parse(stored) as string;
