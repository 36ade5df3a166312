/**
 * The OpenAPI gateway's common errors: `Code` → `CodeN` and HTTP status.
 *
 * Source: Volcengine docs 6369/68677 "公共错误码", 6469/1126806, 6448/76370 (statuses of 429, 502,
 * 503, 504), as gathered in the project's volcengine-facts notes §2.3. CodeN values marked
 * "unconfirmed" there are left out: the upstream then sends none we know of.
 */
export const GATEWAY_ERRORS = {
  MissingParameter: { codeN: 100002, status: 400 },
  MissingAuthenticationToken: { codeN: 100003, status: 401 },
  MissingRequestInfo: { codeN: 100004, status: 400 },
  MissingSignature: { codeN: 100005, status: 401 },
  // Pages disagree between 400 and 403; we answer 400.
  InvalidTimestamp: { codeN: 100006, status: 400 },
  ServiceNotFound: { codeN: 100007, status: 404 },
  InvalidActionOrVersion: { codeN: 100008, status: 404 },
  InvalidAccessKey: { codeN: 100009, status: 401 },
  SignatureDoesNotMatch: { codeN: 100010, status: 401 },
  LackPolicy: { codeN: 100012, status: 403 },
  AccessDenied: { codeN: 100013, status: 403 },
  InternalError: { codeN: 100014, status: 500 },
  FailToConnect: { codeN: 100015, status: 502 },
  InternalServiceTimeout: { codeN: 100016, status: 504 },
  FlowLimitExceeded: { codeN: undefined, status: 429 },
  ServiceUnavailableTemp: { codeN: undefined, status: 503 },
  MethodNotAllowed: { codeN: undefined, status: 405 },
  InvalidAuthorization: { codeN: undefined, status: 400 },
  InvalidSecretToken: { codeN: undefined, status: 401 },
} as const satisfies Record<string, { codeN: number | undefined; status: number }>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;
