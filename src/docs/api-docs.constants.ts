/** Name of the API key's security scheme in the OpenAPI document. */
export const API_KEY_SECURITY = 'api-key';

/** Where the docs are served: the UI here, the document at `/docs-json`. */
export const DOCS_PATH = 'docs';
