/**
 * The OpenAPI response envelope (docs 6348/1178322 "返回结构"): `ResponseMetadata` always,
 * `Result` on success, `ResponseMetadata.Error` on failure.
 */
export interface OpenApiError {
  readonly Code: string;
  /** The gateway's numeric code; absent or 0 for service-level errors. */
  readonly CodeN?: number;
  readonly Message: string;
}

export interface OpenApiResponseMetadata {
  readonly RequestId: string;
  readonly Action: string;
  readonly Version: string;
  readonly Service: string;
  readonly Region: string;
  readonly Error?: OpenApiError;
}

export interface OpenApiEnvelope<TResult = unknown> {
  readonly ResponseMetadata: OpenApiResponseMetadata;
  readonly Result?: TResult;
}

/** `Result` of the four messaging actions. */
export interface MessagingResult {
  /** `Success` when the upstream accepted the message. */
  readonly Message: string;
}

/**
 * An answer's envelope as the client reads it: each field is kept only when it has its documented
 * type, so an upstream (or a proxy) that sends something else cannot make the reader throw.
 */
export interface ReadEnvelope {
  /** `ResponseMetadata.RequestId` when it is a non-empty string. */
  readonly requestId?: string;
  /** Set when `ResponseMetadata.Error` is present and not null, however malformed it is. */
  readonly error?: {
    /** `Error.Code`; a number is kept as its digits, anything else is dropped. */
    readonly code?: string;
    /** `Error.CodeN` when it is a non-zero number (0 means "no gateway code"). */
    readonly codeN?: number;
    /** `Error.Message`, or the `Error` itself when it is a bare string. */
    readonly message?: string;
  };
  /** `Result` as sent, unchecked: only the services know what their action returns. */
  readonly result: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The envelope inside an answer's parsed JSON, or `undefined` when there is none: not an object,
 * or no `ResponseMetadata` object in it. A null `Error` counts as absent, as the Go SDK decodes it.
 */
export function readEnvelope(json: unknown): ReadEnvelope | undefined {
  if (!isRecord(json) || !isRecord(json.ResponseMetadata)) return undefined;
  const metadata = json.ResponseMetadata;
  const requestId = nonEmptyString(metadata.RequestId);
  const raw = metadata.Error;
  if (raw === undefined || raw === null) return { requestId, result: json.Result };

  const fields = isRecord(raw) ? raw : {};
  const code =
    typeof fields.Code === 'number' && Number.isFinite(fields.Code)
      ? String(fields.Code)
      : nonEmptyString(fields.Code);
  const codeN =
    typeof fields.CodeN === 'number' && Number.isFinite(fields.CodeN) && fields.CodeN !== 0
      ? fields.CodeN
      : undefined;
  const message = typeof raw === 'string' ? raw : nonEmptyString(fields.Message);
  return { requestId, error: { code, codeN, message }, result: json.Result };
}

/**
 * `Result.Message` of a messaging action (`Success`), or `undefined` when the upstream sent no
 * readable one. Success is decided by the status and the absence of `Error`, never by this text.
 */
export function resultMessage(result: unknown): string | undefined {
  return isRecord(result) && typeof result.Message === 'string' ? result.Message : undefined;
}
