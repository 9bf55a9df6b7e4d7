/** The API: REST (/v1), OpenAPI docs (/docs), health (/healthz) and metrics (/metrics). */
import type { Server } from 'node:http';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { loadConfig } from '../../core/config.js';
import { prepareDatabase } from '../../core/db/prepare.js';
import { createLogger } from '../../core/logger.js';
import { AppModule } from './app.module.js';
import { GLANCE_PATCH_TYPE, requireJsonBody } from './common/content-type.middleware.js';
import { limitJsonDepth } from './common/json-depth.js';
import { refuseNulCharacters } from './common/nul-characters.js';
import { methodNotAllowed, type RouterOwner } from './common/method-not-allowed.js';
import { createOpenApiDocument } from './common/openapi.js';
import { ClientLimits } from './common/rate-limit.js';
import { ProblemFilter } from './common/problem.filter.js';
import { validationPipe } from './common/validation.js';

const config = loadConfig();
const log = createLogger('api', config.logLevel);
await prepareDatabase(config.databaseUrl, {
  adminToken: config.adminToken,
  agentToken: config.agentToken,
  adminPassword: config.adminPassword,
});

const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, log), {
  bodyParser: false,
  logger: ['error', 'warn'],
});
// JSON bodies only, and small: image bytes stream through their own route untouched.
app.use(app.get(ClientLimits).addressLimit);
app.use(methodNotAllowed(app.getHttpAdapter().getInstance() as unknown as RouterOwner));
app.use(requireJsonBody);
app.useBodyParser('json', { limit: '64kb', type: ['application/json', 'application/*+json', GLANCE_PATCH_TYPE] });
app.use(limitJsonDepth);
app.use(refuseNulCharacters);
app.useGlobalPipes(validationPipe);
app.useGlobalFilters(new ProblemFilter(log));
app.enableShutdownHooks();

// /docs (the UI), /docs/openapi.json and /docs-yaml: what test/e2e/api-fuzzing.test.ts checks the server against.
SwaggerModule.setup('docs', app, createOpenApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });

// Node cuts every request off after 300 s (requestTimeout), which ends a long image upload
// however fast it is going. Instead: no total limit, and a connection silent for
// NIMBUS_UPLOAD_IDLE_TIMEOUT is closed (headersTimeout still bounds a request's headers).
const server: Server = app.getHttpServer();
server.requestTimeout = 0;
server.setTimeout(config.uploadIdleTimeoutSec * 1000);

await app.listen(config.apiPort, config.apiHost);
log.info({ url: `http://${config.apiHost}:${config.apiPort}` }, 'api listening');
