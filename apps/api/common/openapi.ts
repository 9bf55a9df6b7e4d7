import { HttpStatus, RequestMethod, type INestApplication } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemBody, problemResponse } from './api-problems.js';
import { NO_NUL_PATTERN } from './nul-characters.js';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Schema = Record<string, unknown>;

/** Paths neither limiter nor guard sees (common/rate-limit.ts: health and metrics are never limited). */
const UNLIMITED = new Set(['/healthz', '/metrics']);

/**
 * The problems every route of a kind answers, whoever wrote it: the guard's 401 (and 403 for
 * the reader role on writes), the limiter's 429, and for a JSON body the parser's 400, 413
 * and 415. Routes declare their own (404, 409, 422 …) with @ApiProblems.
 */
function standardProblems(path: string, method: string, op: Operation): number[] {
  const statuses: number[] = [];
  if (op.security?.length) statuses.push(401, ...(method === 'get' ? [] : [403]));
  if (!UNLIMITED.has(path)) statuses.push(429);
  const body = op.requestBody as { content?: Record<string, unknown> } | undefined;
  if (body?.content?.['application/json']) statuses.push(400, 413, 415);
  return statuses;
}

/** A free string (no pattern, enum or format of its own) says what common/nul-characters.ts refuses. */
function refuseNul(schema: Schema): void {
  if (schema.type === 'string' && !schema.pattern && !schema.enum && !schema.format) schema.pattern = NO_NUL_PATTERN;
}

/**
 * The validation pipe refuses unknown fields (forbidNonWhitelisted), so every schema a request
 * body reaches is closed: a generated client or fuzzer must not send extras. Free strings in
 * bodies and parameters refuse NUL, as the edge does.
 */
function closeRequestSchemas(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const seen = new Set<Schema>();
  const close = (schema: Schema | undefined): void => {
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const ref = schema.$ref as string | undefined;
    if (ref) return close(schemas[ref.replace('#/components/schemas/', '')]);
    if (schema.properties) schema.additionalProperties ??= false;
    refuseNul(schema);
    // Nest drops `type` beside a oneOf; OpenAPI 3.0's `nullable` needs it (`volume`: an object or null).
    const branches = schema.oneOf as Schema[] | undefined;
    if (schema.nullable && !schema.type && branches?.every((b) => b.type === 'object')) schema.type = 'object';
    for (const sub of Object.values((schema.properties as Record<string, Schema>) ?? {})) close(sub);
    for (const key of ['items', 'oneOf', 'anyOf', 'allOf'] as const) {
      const value = schema[key] as Schema | Schema[] | undefined;
      for (const sub of Array.isArray(value) ? value : [value]) close(sub);
    }
  };
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item) as Operation[]) {
      for (const param of (op?.parameters ?? []) as Array<{ schema?: Schema }>)
        if (param.schema) refuseNul(param.schema);
      const content = (op?.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content;
      close(content?.['application/json']?.schema);
    }
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * Each route's success status by operation id (`Controller_method`): its @HttpCode, else 201
 * for POST and 200 otherwise, as Nest answers. The swagger explorer leaves it out of an
 * operation that declares other responses (its problems), so it is put back.
 */
function successStatuses(app: INestApplication): Map<string, number> {
  const statuses = new Map<string, number>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const proto = (metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      for (const key of proto ? Object.getOwnPropertyNames(proto) : []) {
        const handler = proto![key];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
        statuses.set(
          `${metatype!.name}_${key}`,
          code ?? (method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK),
        );
      }
    }
  }
  return statuses;
}

/** The OpenAPI document of /docs: what the server really answers, down to each problem+json status. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Nimbus')
      .setDescription(
        'A cloud control plane: every VM build is a durable saga on Temporal. Errors are ' +
          'application/problem+json (RFC 9457); a known path asked with another method answers 405 with Allow.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: [ProblemBody] },
  );
  const success = successStatuses(app);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const status = success.get(op.operationId ?? '');
      if (status && !Object.keys(op.responses).some((s) => s.startsWith('2')))
        op.responses[status] = { description: '' };
      for (const problem of standardProblems(path, method, op)) op.responses[problem] ??= problemResponse(problem);
    }
  }
  closeRequestSchemas(document);
  return document;
}
