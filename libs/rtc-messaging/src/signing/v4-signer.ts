import {
  canonicalQueryString,
  canonicalRequest,
  computeSignature,
  credentialScope,
  Credentials,
  deriveSigningKey,
  formatXDate,
  RequestToSign,
  sha256Hex,
  SIGNING_ALGORITHM,
  SigningScope,
  stringToSign,
} from './v4-signature';

/**
 * Signs requests for one set of credentials and one scope.
 *
 * Signing is on every call's hot path, so what does not change per request is computed once: the
 * signing key (per day: four HMACs), the X-Date (per second) and a query's canonical form (per
 * query object, for callers that reuse one object per action).
 *
 * The credentials and the derived key (which signs any call of the scope for a whole UTC day) are
 * `#private`: neither `util.inspect` (even with `showHidden`) nor `JSON.stringify` can show them,
 * so logging a signer, or a service that holds one, leaks nothing.
 */
export class V4Signer {
  readonly #credentials: Credentials;
  readonly #scope: SigningScope;
  #cachedKey?: { shortDate: string; key: Buffer };
  #cachedXDate?: { second: number; xDate: string };
  readonly #canonicalQueries = new WeakMap<object, string>();

  constructor(credentials: Credentials, scope: SigningScope) {
    this.#credentials = credentials;
    this.#scope = scope;
  }

  /**
   * Returns every header to send: the request's own (all of which are signed), `X-Date`,
   * `X-Content-Sha256`, `X-Security-Token` when there is a session token, and `Authorization`.
   */
  sign(request: RequestToSign, now: Date = new Date()): Record<string, string> {
    const xDate = this.#xDate(now);
    const shortDate = xDate.slice(0, 8);
    const payloadHash = sha256Hex(request.body);
    const headers: Record<string, string> = {
      ...request.headers,
      'X-Date': xDate,
      'X-Content-Sha256': payloadHash,
    };
    if (this.#credentials.sessionToken)
      headers['X-Security-Token'] = this.#credentials.sessionToken;

    const { canonical, signedHeaders } = canonicalRequest(
      { ...request, headers },
      payloadHash,
      this.#canonicalQuery(request.query),
    );
    const scope = credentialScope(shortDate, this.#scope);
    const signature = computeSignature(
      this.#signingKey(shortDate),
      stringToSign(xDate, scope, canonical),
    );
    headers.Authorization =
      `${SIGNING_ALGORITHM} Credential=${this.#credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  #xDate(now: Date): string {
    const second = Math.floor(now.getTime() / 1000);
    if (this.#cachedXDate?.second !== second) {
      this.#cachedXDate = { second, xDate: formatXDate(now) };
    }
    return this.#cachedXDate.xDate;
  }

  #canonicalQuery(query: Readonly<Record<string, string>>): string {
    let canonical = this.#canonicalQueries.get(query);
    if (canonical === undefined) {
      canonical = canonicalQueryString(query);
      // Only frozen objects are cached: a mutable one could change under the same identity.
      if (Object.isFrozen(query)) this.#canonicalQueries.set(query, canonical);
    }
    return canonical;
  }

  #signingKey(shortDate: string): Buffer {
    if (this.#cachedKey?.shortDate !== shortDate) {
      this.#cachedKey = {
        shortDate,
        key: deriveSigningKey(this.#credentials.secretAccessKey, shortDate, this.#scope),
      };
    }
    return this.#cachedKey.key;
  }
}
