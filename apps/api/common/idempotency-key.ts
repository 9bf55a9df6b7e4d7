import { createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
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
 * documented in OpenAPI on the route that reads it.
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
      });
      if (key !== undefined) doc(target, key, Object.getOwnPropertyDescriptor(target, key)!);
    },
  ],
);

/** The same rule for GraphQL, where the key is an argument (`idempotencyKey`). */
export const idempotencyKeyArg: PipeTransform = { transform: (value) => parseIdempotencyKey(value, 'idempotencyKey') };
