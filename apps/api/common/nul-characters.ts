import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem, ProblemTypes } from './problem.js';

/** PostgreSQL text cannot hold U+0000, so no value Nimbus stores or looks up may contain it. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** True when a string or key anywhere in `value` holds U+0000 (walked without recursion, as jsonDepth does). */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/**
 * A NUL character in the URL or the JSON body is a 400 at the edge: reaching PostgreSQL it was a
 * 500 ("invalid byte sequence for encoding UTF8: 0x00"). Runs after the body parser.
 */
export function refuseNulCharacters(req: Request, _res: Response, next: NextFunction): void {
  if (!/%00/.test(req.originalUrl) && !containsNul(req.body)) return next();
  next(
    new Problem(
      HttpStatus.BAD_REQUEST,
      ProblemTypes.validation,
      'Invalid request',
      'the request holds a NUL character',
      {
        errors: [{ field: 'request', message: 'must not contain U+0000' }],
      },
    ),
  );
}
