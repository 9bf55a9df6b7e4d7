import { FaultCodes, RequestCodes, isPermanent, type ErrorCode } from '../contracts/errors.js';

/**
 * A failure of the domain with a stable code from contracts/errors.ts. Activities turn
 * these into ApplicationFailures (activities/failures.ts); the API turns them into
 * problem+json. Whether it is worth a retry is the code's, from the one table in
 * contracts/errors.ts, never the throw site's.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  /** Whether it is retried is the code's business (contracts/errors.ts RETRY), never the thrower's. */
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.details = details;
  }

  /** False when no retry of the same call could succeed (bad input, exhausted pool). */
  get retryable(): boolean {
    return !isPermanent(this.code);
  }
}

/** Bad input to a domain operation, with the field at fault. */
export class ValidationError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(RequestCodes.ValidationFailed, message, { field });
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, ref: string) {
    super(RequestCodes.NotFound, `${kind} ${ref} not found`, { kind, ref });
  }
}

/** True for Postgres unique-constraint violations (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | undefined;
  return e?.code === '23505' || e?.driverError?.code === '23505';
}

export function isQuotaExceeded(err: unknown): boolean {
  return err instanceof DomainError && err.code === FaultCodes.QuotaExceeded;
}
