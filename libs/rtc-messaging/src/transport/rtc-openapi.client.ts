import type { ClientRequest } from 'node:http';
import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import {
  RtcClockSkewError,
  RtcError,
  RtcRateLimitedError,
  RtcTransportError,
  RtcUnknownOutcomeError,
  RtcUpstreamError,
  UpstreamErrorDetails,
} from '../errors';
import { describeUpstream } from '../errors/rtc-upstream.error';
import { RTC_HTTP_SERVICE, RTC_MESSAGING_OPTIONS } from '../rtc-messaging.constants';
import type { ResolvedRtcMessagingOptions } from '../rtc-messaging.options';
import { MESSAGING_API_VERSION } from '../rtc-openapi.constants';
import { canonicalQueryString, CredentialsProvider, V4Signer } from '../signing';
import { nestAxios } from './nest-axios';
import { readEnvelope } from './openapi-envelope';
import { mayHaveAccepted, parseRetryAfter } from './outcome';

/** When a throttled answer carries no `Retry-After`: the upstream counts calls per second. */
const DEFAULT_THROTTLE_RETRY_MS = 1_000;

/** A call the upstream accepted. */
export interface OpenApiSuccess<TResult> {
  /** `ResponseMetadata.RequestId`; `''` when the answer carried none that is a string. */
  readonly requestId: string;
  /** `Result` as the upstream sent it: possibly missing or of another shape than `TResult`. */
  readonly result: TResult;
}

/**
 * Answers meaning the credentials that signed the call are wrong or expired, which a fresh set
 * from the `credentials` option may cure (volcengine-facts §2.3: `InvalidAccessKey` 100009,
 * `SignatureDoesNotMatch` 100010, and `InvalidSecretToken` for a bad or expired STS token).
 */
const REJECTED_CREDENTIALS_CODES = new Set([
  'InvalidAccessKey',
  'SignatureDoesNotMatch',
  'InvalidSecretToken',
]);

/** Node error codes that mean no connection was made, so nothing was sent. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * The one place that talks HTTP to the RTC OpenAPI: signs the exact bytes it sends, posts them, and
 * turns the answer into a result or a typed error. It knows nothing of DTOs.
 */
@Injectable()
export class RtcOpenApiClient {
  /** `#private`, as the signers' own secrets: each call takes the current set's signer from it. */
  readonly #credentials: CredentialsProvider;
  private readonly signedHeaders: Readonly<Record<string, string>>;
  private readonly routes = new Map<
    string,
    { query: Readonly<Record<string, string>>; url: string }
  >();

  constructor(
    @Inject(RTC_HTTP_SERVICE) private readonly http: HttpService,
    @Inject(RTC_MESSAGING_OPTIONS) private readonly options: ResolvedRtcMessagingOptions,
    credentials: CredentialsProvider,
  ) {
    this.#credentials = credentials;
    // Signed as the Go and Python SDKs do; `host` is what Node sends for this URL (no default port).
    this.signedHeaders = { 'Content-Type': 'application/json', Host: options.endpoint.host };
  }

  /**
   * Calls one OpenAPI action with a JSON body.
   * @throws RtcUpstreamError when the upstream refused the call
   * @throws RtcRateLimitedError when it throttled the call
   * @throws RtcTransportError when it could not be reached (nothing was sent)
   * @throws RtcUnknownOutcomeError when the call failed after the message may have been accepted
   * @throws RtcCredentialsExpiredError when the credentials expired and no new set came within
   *   `timeoutMs` (nothing was sent)
   */
  async call<TResult>(action: string, body: object): Promise<OpenApiSuccess<TResult>> {
    const { query, url } = this.routeOf(action);
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    // One set signs the whole request, even if a refresh replaces it meanwhile. A set found
    // expired is refreshed first, within the time this call has.
    const signer = await this.#credentials.freshSigner(this.options.timeoutMs);
    const headers = signer.sign({
      method: 'POST',
      query,
      headers: this.signedHeaders,
      body: payload,
    });

    let response: AxiosResponse<unknown>;
    try {
      // axiosRef directly: the Observable wrapper would add a CancelToken per call for nothing.
      response = await this.http.axiosRef.request<unknown>({
        method: 'POST',
        url,
        data: payload,
        headers,
      });
    } catch (error) {
      throw this.transportError(error);
    }
    return this.readAnswer<TResult>(response, signer);
  }

  /** The query and URL of an action, built once: the signer caches a frozen query's canonical form. */
  private routeOf(action: string): { query: Readonly<Record<string, string>>; url: string } {
    let route = this.routes.get(action);
    if (!route) {
      const query = Object.freeze({ Action: action, Version: MESSAGING_API_VERSION });
      route = { query, url: `/?${canonicalQueryString(query)}` };
      this.routes.set(action, route);
    }
    return route;
  }

  /**
   * Checks that the endpoint answers HTTP within `timeoutMs`, without calling any action: an
   * unsigned GET of `/` gets the gateway's `MissingParameter` answer, which proves it is reachable.
   * @returns the HTTP status and how long the answer took
   * @throws RtcTransportError when no answer came
   */
  async probe(timeoutMs: number): Promise<{ status: number; latencyMs: number }> {
    const started = performance.now();
    try {
      const response = await this.http.axiosRef.request({
        method: 'GET',
        url: '/',
        timeout: timeoutMs,
      });
      return { status: response.status, latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      throw this.transportError(error);
    }
  }

  /**
   * Every answer ends as a success or a typed error, whatever its body: the envelope's fields are
   * read only where they have their documented types (`readEnvelope`).
   */
  private readAnswer<TResult>(
    response: AxiosResponse<unknown>,
    signer: V4Signer,
  ): OpenApiSuccess<TResult> {
    const { status } = response;
    const envelope = readEnvelope(parseJson(response.data));
    const ok = status >= 200 && status < 300;

    if (!envelope) {
      // No log line here: the error says it, and the dispatcher summarizes failures per code
      // (one line per call would flood the log in an outage).
      const detail = `HTTP ${status} without an OpenAPI envelope`;
      if (ok || mayHaveAccepted(status, undefined)) {
        throw new RtcUnknownOutcomeError('bad_response', detail);
      }
      throw new RtcTransportError('bad_response', detail);
    }
    const { error } = envelope;
    // The docs' rule: a 2xx without Error is an acceptance, whatever Result holds (the services
    // read it leniently); the gateway's RequestId is reported as '' when it sent none readable.
    if (ok && !error) {
      return { requestId: envelope.requestId ?? '', result: envelope.result as TResult };
    }

    const details: UpstreamErrorDetails = {
      status,
      code: error?.code ?? `HTTP${status}`,
      codeN: error?.codeN,
      requestId: envelope.requestId,
      upstreamMessage: error?.message,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    };
    if (REJECTED_CREDENTIALS_CODES.has(details.code)) this.#credentials.rejected(signer);
    if (status === 429 || details.code.startsWith('FlowLimitExceeded')) {
      throw new RtcRateLimitedError(details.retryAfterMs ?? DEFAULT_THROTTLE_RETRY_MS, details);
    }
    if (details.code === 'InvalidTimestamp') throw new RtcClockSkewError(details);
    // An Error inside a 2xx contradicts the status: the call may have been accepted.
    if (ok || mayHaveAccepted(status, error?.code)) {
      throw new RtcUnknownOutcomeError('upstream_error', describeUpstream(details), details);
    }
    throw new RtcUpstreamError(details);
  }

  /**
   * Whether the message may have been received decides the class: a failure before the request
   * was fully written cannot have delivered it; one after (a timeout, a reset) may have.
   */
  private transportError(error: unknown): RtcError {
    const axiosError = nestAxios.isAxiosError(error) ? error : undefined;
    const code =
      axiosError?.code ?? (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown';
    const request = axiosError?.request as ClientRequest | undefined;
    const written = request?.writableFinished === true && !CONNECT_FAILURES.has(code);
    // Never include the error's config or request: they hold the Authorization header.
    const detail = `${code}${axiosError?.message ? ` (${axiosError.message})` : ''}`;

    const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
    if (written) return new RtcUnknownOutcomeError(timedOut ? 'timeout' : 'reset', detail);
    return new RtcTransportError(timedOut ? 'timeout' : 'connect', detail);
  }
}

/** The answer's JSON, or `undefined` when it is not JSON (e.g. a proxy's HTML error page). */
function parseJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
