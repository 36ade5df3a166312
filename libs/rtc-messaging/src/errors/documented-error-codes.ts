import { GATEWAY_ERRORS } from './gateway-error-codes';

/**
 * The RTC service's own error codes of the messaging actions.
 *
 * Source: Volcengine docs 6348/70426 "错误码" (RTC), as gathered in the project's
 * volcengine-facts notes §2.4, which the SendUnicast page (6348/1164061) points to for its errors.
 */
export const RTC_SERVICE_ERROR_CODES = [
  'InvalidParameter',
  'InvalidParameter.IllegalTo',
  'InvalidParameter.IllegalFrom',
  'InvalidParameter.SizeOverLimit',
  'InvalidParameter.UserCountOverLimit',
  'InvalidParameter.NotExistAppId',
  'InvalidParameter.IllegalAppId',
  'InvalidParameter.BodyIsEmpty',
  'InvalidParameter.Unmarshal',
  'FlowLimitExceeded.QPSOverLimit',
  'AccessDenied.NoPermissionForApp',
  'AccessDenied.ServiceNotEnabled',
] as const;

/**
 * Every `Error.Code` the upstream documents for these actions: the gateway's common codes
 * ({@link GATEWAY_ERRORS}, and `InvalidCredential`, which the common-errors page lists beside
 * `InvalidAuthorization`) and the RTC service's ({@link RTC_SERVICE_ERROR_CODES}). A code outside
 * it is still reported in full by the error that carries it; only metrics and log summaries,
 * which need few distinct values, fold it into `Other`.
 */
export const DOCUMENTED_ERROR_CODES: ReadonlySet<string> = new Set<string>([
  ...Object.keys(GATEWAY_ERRORS),
  'InvalidCredential',
  ...RTC_SERVICE_ERROR_CODES,
]);
