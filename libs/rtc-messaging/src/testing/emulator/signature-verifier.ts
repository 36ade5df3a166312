import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayErrorCode } from '../../errors/gateway-error-codes';
import { RTC_SERVICE } from '../../rtc-openapi.constants';
import {
  canonicalRequest,
  computeSignature,
  credentialScope,
  Credentials,
  deriveSigningKey,
  parseAuthorization,
  parseXDate,
  sha256Hex,
  stringToSign,
} from '../../signing';

/** A request as the emulator received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Decoded query pairs, as received. */
  readonly query: Readonly<Record<string, string>>;
  /** Node's lower-cased request headers. */
  readonly headers: IncomingHttpHeaders;
  /** The exact body bytes. */
  readonly body: Buffer;
}

/** The outcome of {@link SignatureVerifier.verify}. */
export type VerificationResult =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly code: GatewayErrorCode; readonly message: string };

/** Who may sign and where: the gateway side of the signing rules. */
export interface SignatureVerifierOptions {
  readonly credentials: readonly Credentials[];
  readonly region: string;
  readonly maxClockSkewMs: number;
}

// Derived keys change once a day per access key; a small bound keeps a long run from growing it.
const MAX_CACHED_KEYS = 256;

const fail = (code: GatewayErrorCode, message: string): VerificationResult => ({
  ok: false,
  code,
  message,
});

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks Volcengine V4 ("HMAC-SHA256") signatures the way the OpenAPI gateway does, reusing the
 * signer's own canonicalisation so the two can never disagree on the rules.
 *
 * The canonical request is rebuilt from what arrived (the headers named in SignedHeaders with
 * their received values, the received query and the SHA-256 of the received bytes), never from
 * what the client meant to send: that is what catches a proxy or client that alters a request
 * after signing it.
 */
export class SignatureVerifier {
  private readonly credentials: ReadonlyMap<string, Credentials>;
  private readonly signingKeys = new Map<string, Buffer>();
  private lastXDate = '';
  private lastSignedAt: Date | undefined;

  constructor(private readonly options: SignatureVerifierOptions) {
    this.credentials = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  }

  /** Verifies `request` at time `now` (epoch ms); on failure, the gateway's error code. */
  verify(request: ReceivedRequest, now: number): VerificationResult {
    const { headers } = request;
    const authorization = headerValue(headers, 'authorization');
    if (!authorization)
      return fail('MissingAuthenticationToken', 'Authorization header is missing');
    const auth = parseAuthorization(authorization);
    if (!auth) return fail('InvalidAuthorization', 'Authorization header is malformed');

    const xDate = headerValue(headers, 'x-date');
    const signedAt = xDate ? this.parseXDate(xDate) : undefined;
    if (!xDate || !signedAt) {
      return fail('MissingRequestInfo', 'X-Date is missing or not of the form YYYYMMDDTHHMMSSZ');
    }
    if (Math.abs(now - signedAt.getTime()) > this.options.maxClockSkewMs) {
      return fail('InvalidTimestamp', `X-Date ${xDate} is outside the allowed clock skew`);
    }
    if (auth.shortDate !== xDate.slice(0, 8)) {
      return fail('InvalidTimestamp', `Credential date ${auth.shortDate} is not the X-Date day`);
    }

    const credentials = this.credentials.get(auth.accessKeyId);
    if (!credentials) return fail('InvalidAccessKey', `access key ${auth.accessKeyId} is unknown`);
    const token = headerValue(headers, 'x-security-token');
    if (credentials.sessionToken ? token !== credentials.sessionToken : token) {
      return fail(
        'InvalidSecretToken',
        credentials.sessionToken
          ? 'X-Security-Token is missing or does not match the access key'
          : 'X-Security-Token sent with a long-term access key',
      );
    }

    if (auth.service !== RTC_SERVICE || auth.region !== this.options.region) {
      return fail(
        'SignatureDoesNotMatch',
        `credential scope ${auth.region}/${auth.service} is not ${this.options.region}/${RTC_SERVICE}`,
      );
    }
    if (!auth.signedHeaders.includes('x-date')) {
      return fail('SignatureDoesNotMatch', 'x-date must be among SignedHeaders');
    }

    const payloadHash = sha256Hex(request.body);
    const declaredHash = headerValue(headers, 'x-content-sha256');
    if (declaredHash !== undefined && declaredHash.trim() !== payloadHash) {
      return fail('SignatureDoesNotMatch', 'X-Content-Sha256 is not the SHA-256 of the body');
    }

    const signed: Record<string, string> = {};
    for (const name of auth.signedHeaders) signed[name] = headerValue(headers, name) ?? '';
    const { canonical } = canonicalRequest(
      { method: request.method, path: '/', query: request.query, headers: signed },
      payloadHash,
    );
    const scope = credentialScope(auth.shortDate, { region: auth.region, service: auth.service });
    const expected = Buffer.from(
      computeSignature(
        this.signingKey(credentials, auth.shortDate),
        stringToSign(xDate, scope, canonical),
      ),
      'latin1',
    );
    const received = Buffer.from(auth.signature, 'latin1');
    if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
      return fail('SignatureDoesNotMatch', 'the request signature does not match');
    }
    return { ok: true, accessKeyId: auth.accessKeyId };
  }

  /** Calls signed in the same second share an X-Date, so one cached parse serves most of them. */
  private parseXDate(xDate: string): Date | undefined {
    if (xDate !== this.lastXDate) {
      this.lastXDate = xDate;
      this.lastSignedAt = parseXDate(xDate);
    }
    return this.lastSignedAt;
  }

  private signingKey(credentials: Credentials, shortDate: string): Buffer {
    const cacheKey = `${credentials.accessKeyId}/${shortDate}/${this.options.region}`;
    let key = this.signingKeys.get(cacheKey);
    if (key === undefined) {
      if (this.signingKeys.size >= MAX_CACHED_KEYS) this.signingKeys.clear();
      key = deriveSigningKey(credentials.secretAccessKey, shortDate, {
        region: this.options.region,
        service: RTC_SERVICE,
      });
      this.signingKeys.set(cacheKey, key);
    }
    return key;
  }
}
