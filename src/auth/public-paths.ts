import { DOCS_PATH } from '../docs/api-docs.constants';
import { HEALTH_PATH } from '../health/health.constants';
import { RTC_CLIENT_MESSAGES_PATH, RTC_EVENTS_PATH } from '../rtc-inbound/rtc-inbound.constants';

/**
 * What anyone may read without an API key: the probes (an orchestrator calls them with no key),
 * the API docs, and `/metrics`, which a Prometheus scraper reads without one. Every other path
 * needs a key, paths that no route serves included.
 */
const PUBLIC_PATHS: readonly string[] = [
  `/${HEALTH_PATH}`,
  `/${DOCS_PATH}`,
  `/${DOCS_PATH}-json`,
  '/metrics',
];

/**
 * What RTC calls: it cannot send an API key, so the signature (of an event) or the token (of a
 * client message) is the authentication, checked by the library's routes. Exactly these paths,
 * nothing under them: `/v1/rtc/events/recent` needs a key. The module serves them ahead of the
 * app's middleware (`serveBeforeAppMiddleware`), so this check does not meet them today; listed
 * so that they stay open, and nothing else does, if they are ever served as Nest middleware.
 */
const RTC_INBOUND_PATHS: readonly string[] = [RTC_EVENTS_PATH, RTC_CLIENT_MESSAGES_PATH];

/**
 * Whether `path` (without its query) is one of the public paths or under one, or one of RTC's
 * inbound paths. Case-sensitive, while Express routes ignore case: `/HEALTH/live` then needs a
 * key, the safe way to differ.
 */
export function isPublicPath(path: string): boolean {
  return (
    RTC_INBOUND_PATHS.includes(path) ||
    PUBLIC_PATHS.some((publicPath) => path === publicPath || path.startsWith(`${publicPath}/`))
  );
}
