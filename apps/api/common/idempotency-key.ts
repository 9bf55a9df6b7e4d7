import { createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems } from './api-problems.js';
import { Problem } from './problem.js';

const VISIBLE_ASCII = /^[\x21-\x7e]{1,255}$/;

/** An idempotency key is 1-255 visible ASCII characters; absent means "not idempotent". */
export function parseIdempotencyKey(value: unknown, field = 'Idempotency-Key'): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !VISIBLE_ASCII.test(value)) {
    throw Problem.validation([{ field, message: 'must be 1-255 visible ASCII characters' }]);
  }
  return value;
}

/**
 * The request's optional `Idempotency-Key` header, validated (400 when malformed), and
 * documented in OpenAPI on the route that reads it (with its pattern and the 400).
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined =>
    parseIdempotencyKey(ctx.switchToHttp().getRequest<Request>().headers['idempotency-key']),
  [
    (target, key) => {
      const doc = ApiHeader({
        name: 'Idempotency-Key',
        required: false,
        description: 'repeat a request safely: the same key and body return the same result',
        schema: { type: 'string', pattern: VISIBLE_ASCII.source },
      });
      if (key === undefined) return;
      const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
      for (const d of [doc, ApiProblems(400)]) d(target, key, descriptor);
    },
  ],
);

/** The same rule for GraphQL, where the key is an argument (`idempotencyKey`). */
export const idempotencyKeyArg: PipeTransform = { transform: (value) => parseIdempotencyKey(value, 'idempotencyKey') };
