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
