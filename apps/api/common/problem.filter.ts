import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { DomainError, NotFoundError, ValidationError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { Problem, ProblemTypes } from './problem.js';

/** Domain failures as HTTP: the status a client would expect for each stable code. */
const DOMAIN_STATUS: Record<string, HttpStatus> = {
  NotFound: HttpStatus.NOT_FOUND,
  Unauthorized: HttpStatus.UNAUTHORIZED,
  ValidationFailed: HttpStatus.UNPROCESSABLE_ENTITY,
  QuotaExceeded: HttpStatus.FORBIDDEN,
  NetworkExhausted: HttpStatus.CONFLICT,
  StoragePoolExhausted: HttpStatus.CONFLICT,
  ImageChecksumMismatch: HttpStatus.UNPROCESSABLE_ENTITY,
};

/** body-parser's refusals, by the error's `type`. */
const BODY_REFUSALS = new Map<string | undefined, [HttpStatus, string, string, string]>([
  ['entity.parse.failed', [400, ProblemTypes.malformedJson, 'Malformed JSON', 'the request body is not valid JSON']],
  ['entity.too.large', [413, ProblemTypes.bodyTooLarge, 'Body too large', 'the request body exceeds the limit']],
]);

/** Nest's own HTTP errors whose status has a stable type of ours. */
const HTTP_TYPES: Partial<Record<number, string>> = {
  404: ProblemTypes.notFound,
  401: ProblemTypes.unauthorized,
  403: ProblemTypes.forbidden,
};

/**
 * An HttpException body's `message` as text: a string as is, a list (ValidationPipe's) joined with
 * commas as String() did, any other object as JSON rather than `[object Object]`.
 */
function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map((m) => (m == null ? '' : messageText(m))).join(',');
  if (typeof message === 'object' && message !== null) return JSON.stringify(message);
  return String(message);
}

/**
 * The one place errors become responses: every error is application/problem+json
 * (RFC 9457). An unexpected one is logged with a correlation id that the client also
 * gets, so a report can be matched to the log line without leaking internals.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() === 'graphql') {
      // GraphQL answers 200 with errors[]: the problem travels in the error's extensions.
      const p = this.toProblem(err);
      return new GraphQLError(p.detail, { extensions: { code: p.title, type: p.type, status: p.status, ...p.extra } });
    }
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res
      .status(problem.status)
      .type('application/problem+json')
      .json({
        type: problem.type,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: req.originalUrl,
        ...problem.extra,
      });
  }

  toProblem(err: unknown): Problem {
    if (err instanceof Problem) return err;
    if (err instanceof ValidationError) {
      return Problem.validation([{ field: err.field, message: err.message }], HttpStatus.UNPROCESSABLE_ENTITY);
    }
    if (err instanceof NotFoundError) {
      return new Problem(HttpStatus.NOT_FOUND, ProblemTypes.notFound, 'Not found', err.message);
    }
    if (err instanceof DomainError) {
      const status = DOMAIN_STATUS[err.code] ?? HttpStatus.CONFLICT;
      return new Problem(status, `urn:nimbus:problem:${kebab(err.code)}`, err.code, err.message);
    }
    // body-parser's errors carry a `type`; Nest's adapter wraps them as the cause of an HttpException.
    const bodyType = (err as { type?: string })?.type ?? (err as { cause?: { type?: string } })?.cause?.type;
    const refused = BODY_REFUSALS.get(bodyType);
    if (refused) return new Problem(...refused);
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const body = err.getResponse();
      const detail =
        typeof body === 'string' ? body : messageText((body as { message?: unknown }).message ?? err.message);
      const type = HTTP_TYPES[status] ?? `urn:nimbus:problem:http-${status}`;
      const title = HttpStatus[status]?.toString().replace(/_/g, ' ').toLowerCase() ?? 'error';
      return new Problem(status, type, title, detail);
    }
    const correlationId = randomUUID();
    this.log.error({ err, correlationId }, 'unexpected error');
    const detail = `unexpected error; correlation id ${correlationId}`;
    return new Problem(HttpStatus.INTERNAL_SERVER_ERROR, ProblemTypes.internal, 'Internal error', detail, {
      correlationId,
    });
  }
}

function kebab(code: string): string {
  return code.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
