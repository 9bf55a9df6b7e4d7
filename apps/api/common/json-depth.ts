import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem, ProblemTypes } from './problem.js';

/** No request body Nimbus accepts nests deeper than this (its deepest, a GraphQL input, is about 4). */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep `value` nests, counted without recursion (a 64 kB body can nest 30,000 levels,
 * deep enough to overflow any recursive walker); stops counting past `limit`.
 */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push({ value: child, depth: level });
  }
  return deepest;
}

/**
 * Refuses a JSON body nested deeper than MAX_JSON_DEPTH with a 400, before validation (class-transformer
 * recurses, and a deep enough body overflowed its stack into a 500).
 */
export function limitJsonDepth(req: Request, _res: Response, next: NextFunction): void {
  if (jsonDepth(req.body, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH) return next();
  next(
    new Problem(
      HttpStatus.BAD_REQUEST,
      ProblemTypes.malformedJson,
      'Body too deep',
      `the request body nests deeper than ${MAX_JSON_DEPTH} levels`,
    ),
  );
}
