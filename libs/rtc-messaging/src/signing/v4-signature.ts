import { createHash, createHmac } from 'node:crypto';

/**
 * Volcengine "HMAC-SHA256" V4 request signing, as pure functions (no Nest, no HTTP).
 *
 * The algorithm is the one the official SDKs share (volc-sdk-golang `base/sign.go`,
 * volc-sdk-python `SignerV4.py`, `@volcengine/openapi` `lib/base/sign.js`); see the README of this
 * folder for the rules and where each comes from.
 */

export const SIGNING_ALGORITHM = 'HMAC-SHA256';

/** Long-term or STS credentials. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** STS session token; sent and signed as `X-Security-Token`. */
  readonly sessionToken?: string;
}

/** Where the signature is valid: `{region}` and `{service}` of the credential scope. */
export interface SigningScope {
  readonly region: string;
  readonly service: string;
}

/** One HTTP request, as the bytes that will be sent. */
export interface RequestToSign {
  readonly method: string;
  /** URL path; RTC always uses `/`. */
  readonly path?: string;
  readonly query: Readonly<Record<string, string>>;
  /**
   * Headers to sign besides the ones the signer adds (`X-Date`, `X-Content-Sha256`,
   * `X-Security-Token`). Every header given here is signed and must be sent unchanged.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes; the signature covers their SHA-256. */
  readonly body: Buffer | string;
}

export const sha256Hex = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** `YYYYMMDD'T'HHMMSS'Z'` in UTC, e.g. `20240102T030405Z`. */
export function formatXDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Parses an X-Date value; `undefined` when it is not of the form `YYYYMMDD'T'HHMMSS'Z'`. */
export function parseXDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  // `Date` rolls impossible values over (Feb 30 → Mar 1, 24:00 → next day); only a round trip
  // proves the fields named a real instant.
  return Number.isNaN(date.getTime()) || formatXDate(date) !== value ? undefined : date;
}

/** RFC 3986 escaping: every byte but `A-Z a-z 0-9 - _ . ~` as upper-case `%XX` (space is `%20`). */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Pairs sorted by name in ASCII order, escaped, joined with `&`; an empty value stays `Key=`. */
export function canonicalQueryString(query: Readonly<Record<string, string>>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${uriEscape(name)}=${uriEscape(query[name])}`)
    .join('&');
}

/** Lower-cased, sorted header names with their trimmed values. */
function canonicalHeaders(headers: Readonly<Record<string, string>>): {
  block: string;
  signedHeaders: string;
} {
  const entries = Object.keys(headers)
    .map((name) => [name.toLowerCase(), String(headers[name]).trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    block: entries.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders: entries.map(([name]) => name).join(';'),
  };
}

/**
 * The six-part canonical request and the signed-header list it declares. `canonicalQuery` may be
 * passed when the caller already has it (it must equal `canonicalQueryString(request.query)`).
 */
export function canonicalRequest(
  request: Omit<RequestToSign, 'body'>,
  payloadHash: string,
  canonicalQuery: string = canonicalQueryString(request.query),
): { canonical: string; signedHeaders: string } {
  const { block, signedHeaders } = canonicalHeaders(request.headers);
  const canonical = [
    request.method.toUpperCase(),
    request.path || '/',
    canonicalQuery,
    block,
    signedHeaders,
    payloadHash,
  ].join('\n');
  return { canonical, signedHeaders };
}

/** `HMAC-SHA256 \n X-Date \n scope \n hex(sha256(canonical request))`. */
export function stringToSign(xDate: string, credentialScope: string, canonical: string): string {
  return [SIGNING_ALGORITHM, xDate, credentialScope, sha256Hex(canonical)].join('\n');
}

/** `YYYYMMDD/{region}/{service}/request`. */
export function credentialScope(shortDate: string, scope: SigningScope): string {
  return `${shortDate}/${scope.region}/${scope.service}/request`;
}

/** HMAC chain: secret (UTF-8, no prefix) → date → region → service → `request`. */
export function deriveSigningKey(
  secretAccessKey: string,
  shortDate: string,
  scope: SigningScope,
): Buffer {
  const dateKey = hmac(Buffer.from(secretAccessKey, 'utf8'), shortDate);
  return hmac(hmac(hmac(dateKey, scope.region), scope.service), 'request');
}

/** Hex HMAC-SHA256 of the string to sign under the signing key. */
export function computeSignature(signingKey: Buffer, toSign: string): string {
  return createHmac('sha256', signingKey).update(toSign, 'utf8').digest('hex');
}

/** The parts of an `Authorization: HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` value. */
export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Parses an Authorization header; `undefined` when it is malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m =
    /^HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/request, ?SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*), ?Signature=([0-9a-f]{64})$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  return {
    accessKeyId: m[1],
    shortDate: m[2],
    region: m[3],
    service: m[4],
    signedHeaders: m[5].split(';'),
    signature: m[6],
  };
}
