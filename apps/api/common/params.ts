import { ParseUUIDPipe } from '@nestjs/common';
import { isUuid } from '../../../core/ids.js';
import { Problem } from './problem.js';

/** `:id` path parameters that must be UUIDs: 400 with the field, never a database error. */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => Problem.validation([{ field: 'id', message: 'must be a UUID' }]),
});

/** An optional query parameter that must be a UUID when given. */
export function uuidQuery(field: string, value: string | undefined, message = 'must be a UUID'): string | undefined {
  if (value !== undefined && !isUuid(value)) throw Problem.validation([{ field, message }]);
  return value;
}

/** An optional query parameter that must be one of `allowed` when given. */
export function oneOf<T extends string>(
  field: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
    throw Problem.validation([{ field, message: `must be one of ${allowed.join(', ')}` }]);
  }
  return value as T | undefined;
}
