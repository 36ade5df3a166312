import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_HEADER } from '../auth/api-key.middleware';
import type { ServerConfig } from '../config';
import { withRtcInboundRoutes } from './rtc-inbound.api-docs';
import { API_KEY_SECURITY, DOCS_PATH } from './api-docs.constants';

const DESCRIPTION = `Sends Volcengine RTC server messages: to users who called \`login\` (\`/v1/messages\`) and inside rooms (\`/v1/rooms\`).

Every error body has the same shape. Its \`outcome\` says whether the message may have been delivered anyway: \`unknown\` (answered 502 or 504) means sending it again may deliver it twice; \`not_delivered\` means it surely was not.`;

/**
 * Sets `maxItems` of every recipient list to `FAN_OUT_MAX_RECIPIENTS`: the cap is configuration,
 * so it cannot be in the decorators, which run when the classes load.
 */
export function withRecipientCap(document: OpenAPIObject, maxRecipients: number): OpenAPIObject {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    const to = 'properties' in schema ? schema.properties?.to : undefined;
    if (to && 'type' in to && to.type === 'array') to.maxItems = maxRecipients;
  }
  return document;
}

/** The OpenAPI document of the app's endpoints, generated from the classes that validate them. */
export function createApiDocument(app: INestApplication, server: ServerConfig): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('nestjs-volcengine-rtc demo')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: API_KEY_HEADER,
        description: 'One of the keys in `API_KEYS`.',
      },
      API_KEY_SECURITY,
    )
    .build();
  return withRtcInboundRoutes(
    withRecipientCap(SwaggerModule.createDocument(app, config), server.maxRecipients),
  );
}

/**
 * Serves the docs at `/docs` (the UI) and `/docs-json` (the document). Both are public paths
 * (`isPublicPath`), read without an API key; the document shows the key as the messaging
 * endpoints' security scheme.
 */
export function setupApiDocs(app: INestApplication, server: ServerConfig): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createApiDocument(app, server), {
    customSiteTitle: 'nestjs-volcengine-rtc demo API',
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    raw: ['json'],
  });
}
