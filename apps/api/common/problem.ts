import { HttpStatus } from '@nestjs/common';

/** Stable problem types (RFC 9457 `type`): clients branch on these, never on `detail`. */
export const ProblemTypes = {
  validation: 'urn:nimbus:problem:validation-failed',
  malformedJson: 'urn:nimbus:problem:malformed-json',
  bodyTooLarge: 'urn:nimbus:problem:body-too-large',
  unauthorized: 'urn:nimbus:problem:unauthorized',
  forbidden: 'urn:nimbus:problem:forbidden',
  notFound: 'urn:nimbus:problem:not-found',
  conflict: 'urn:nimbus:problem:conflict',
  idempotencyMismatch: 'urn:nimbus:problem:idempotency-key-reused',
  idempotentRequestFailed: 'urn:nimbus:problem:idempotent-request-failed',
  rangeNotSatisfiable: 'urn:nimbus:problem:range-not-satisfiable',
  unavailable: 'urn:nimbus:problem:service-unavailable',
  internal: 'urn:nimbus:problem:internal-error',
} as const;

export interface FieldError {
  field: string;
  message: string;
}

/** An error the API answers with as application/problem+json. */
export class Problem extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }

  static validation(errors: FieldError[], status = HttpStatus.BAD_REQUEST): Problem {
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new Problem(status, ProblemTypes.validation, 'Invalid request', detail, { errors });
  }

  static notFound(kind: string, ref: string): Problem {
    return new Problem(HttpStatus.NOT_FOUND, ProblemTypes.notFound, 'Not found', `${kind} ${ref} not found`);
  }

  static forbidden(detail: string): Problem {
    return new Problem(HttpStatus.FORBIDDEN, ProblemTypes.forbidden, 'Forbidden', detail);
  }

  static conflict(detail: string, type: string = ProblemTypes.conflict): Problem {
    return new Problem(HttpStatus.CONFLICT, type, 'Conflict', detail);
  }

  /** A service Nimbus depends on (Temporal, a host's agent) did not answer; the detail says what changed. */
  static unavailable(detail: string): Problem {
    return new Problem(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.unavailable, 'Service unavailable', detail);
  }
}
