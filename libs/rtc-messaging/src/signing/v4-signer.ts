import {
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
 * The signing key depends only on the secret, the day, the region and the service, so it is derived
 * once a day instead of four HMACs per request.
 */
export class V4Signer {
  private cachedKey?: { shortDate: string; key: Buffer };

  constructor(
    private readonly credentials: Credentials,
    private readonly scope: SigningScope,
  ) {}

  /**
   * Returns every header to send: the request's own (all of which are signed), `X-Date`,
   * `X-Content-Sha256`, `X-Security-Token` when there is a session token, and `Authorization`.
   */
  sign(request: RequestToSign, now: Date = new Date()): Record<string, string> {
    const xDate = formatXDate(now);
    const shortDate = xDate.slice(0, 8);
    const payloadHash = sha256Hex(request.body);
    const headers: Record<string, string> = {
      ...request.headers,
      'X-Date': xDate,
      'X-Content-Sha256': payloadHash,
    };
    if (this.credentials.sessionToken) headers['X-Security-Token'] = this.credentials.sessionToken;

    const { canonical, signedHeaders } = canonicalRequest({ ...request, headers }, payloadHash);
    const scope = credentialScope(shortDate, this.scope);
    const signature = computeSignature(
      this.signingKey(shortDate),
      stringToSign(xDate, scope, canonical),
    );
    headers.Authorization =
      `${SIGNING_ALGORITHM} Credential=${this.credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  private signingKey(shortDate: string): Buffer {
    if (this.cachedKey?.shortDate !== shortDate) {
      this.cachedKey = {
        shortDate,
        key: deriveSigningKey(this.credentials.secretAccessKey, shortDate, this.scope),
      };
    }
    return this.cachedKey.key;
  }
}
