import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery, ApiResponse } from '@nestjs/swagger';

/** The body of every error (RFC 9457), as ProblemFilter writes it: the OpenAPI document's `Problem`. */
export class ProblemBody {
  @ApiProperty({ example: 'urn:nimbus:problem:not-found', description: 'stable: clients branch on this' })
  type: string;
  @ApiProperty({ example: 'Not found' }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiProperty({ example: 'instance 0b7e… not found', description: 'for people; may change' }) detail: string;
  @ApiProperty({ example: '/v1/instances/0b7e…', description: 'the request path' }) instance: string;
  @ApiPropertyOptional({
    description: 'validation failures: each field at fault',
    type: 'array',
    items: {
      type: 'object',
      required: ['field', 'message'],
      properties: { field: { type: 'string' }, message: { type: 'string' } },
    },
  })
  errors?: Array<{ field: string; message: string }>;
  @ApiPropertyOptional({ description: '500: quote it in a report; the log line has the same id' })
  correlationId?: string;
  @ApiPropertyOptional({ description: '429: seconds to wait (also the Retry-After header)' })
  retryAfterSec?: number;
}

/** What each status means in Nimbus, for the document's response descriptions. */
const MEANING: Record<number, string> = {
  400: 'the request is malformed: a field, parameter or header the schema refuses (the fields at fault in `errors`)',
  401: 'no token, or a token that is not valid, expired or revoked',
  403: 'the token may not do this (an admin-only operation, the reader role, or a quota)',
  404: 'no such resource (another project’s resources are not found either)',
  405: 'the path exists, the method does not (`Allow` lists the methods)',
  409: 'the request conflicts with the resource’s current state',
  413: 'the body exceeds the limit',
  415: 'the body is not application/json',
  416: 'the range is outside the file',
  422: 'well formed, but the domain refuses it (a name or id that does not resolve, rules across fields)',
  429: 'too many requests: retry after `Retry-After` seconds',
  503: 'a service Nimbus depends on did not answer; nothing changed unless the detail says otherwise',
};

/** One problem+json response of the document. */
export function problemResponse(status: number) {
  return {
    description: MEANING[status] ?? 'see the problem type',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemBody' } } },
  };
}

/** The problem+json responses a route really answers, e.g. `@ApiProblems(404, 409)`. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));
}

/**
 * UUIDs as ParseUUIDPipe and class-validator's IsUUID() accept them: versions 1-8 with the RFC
 * variant, or the nil and max UUIDs. JSON Schema patterns have no flags, hence the classes.
 */
export const UUID_PATTERN =
  '^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}' +
  '|00000000-0000-0000-0000-000000000000|[fF]{8}-[fF]{4}-[fF]{4}-[fF]{4}-[fF]{12})$';
/** Any 8-4-4-4-12 hex string: what core/ids.ts isUuid (the query filters) accepts. */
export const ANY_UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** A `uuidParam` path parameter: 400 when it is not a UUID. */
export function ApiUuidParam(name = 'id'): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiParam({ name, schema: { type: 'string', pattern: UUID_PATTERN } }), ApiProblems(400));
}

/** An optional `uuidQuery` filter: 400 when it is not a UUID. */
export function ApiUuidQuery(name: string, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiQuery({ name, required: false, description, schema: { type: 'string', pattern: ANY_UUID_PATTERN } }),
    ApiProblems(400),
  );
}
