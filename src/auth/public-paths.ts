import { DOCS_PATH } from '../docs/api-docs.constants';
import { HEALTH_PATH } from '../health/health.constants';

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
 * Whether `path` (without its query) is one of the public paths or under one. Case-sensitive,
 * while Express routes ignore case: `/HEALTH/live` then needs a key, the safe way to differ.
 */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.some(
    (publicPath) => path === publicPath || path.startsWith(`${publicPath}/`),
  );
}
