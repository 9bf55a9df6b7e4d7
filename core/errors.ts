import type { FaultCode } from '../contracts/errors.js';

/**
 * A failure of the domain with a stable code (one of contracts/errors.ts). Activities turn
 * these into ApplicationFailures of the same type; the API turns them into problem+json.
 */
export class DomainError extends Error {
  constructor(
    readonly code: FaultCode | string,
    message: string,
    /** False when no retry of the same call could succeed (bad input, exhausted pool). */
    readonly retryable = false,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Bad input to a domain operation, with the field at fault. */
export class ValidationError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('ValidationFailed', message, false, { field });
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, ref: string) {
    super('NotFound', `${kind} ${ref} not found`, false, { kind, ref });
  }
}

/** True for Postgres unique-constraint violations (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505' || (err as { driverError?: { code?: string } })?.driverError?.code === '23505';
}
