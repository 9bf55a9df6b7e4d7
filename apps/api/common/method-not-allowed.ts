import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem.js';

/** The parts of Express 5's router (the `router` package) this reads: its layers and their routes. */
interface RouterLayer {
  match(path: string): unknown;
  route?: { methods: Record<string, boolean> };
}
export interface RouterOwner {
  router: { stack: RouterLayer[] };
}

/**
 * The methods the routes at `path` answer (GET brings HEAD), or null when no route matches it.
 * Read from the router at request time, so every route counts (an `all` route lists every method).
 */
export function routeMethods(stack: readonly RouterLayer[], path: string): string[] | null {
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || !layer.match(path)) continue;
    for (const [method, handled] of Object.entries(layer.route.methods)) {
      if (handled) methods.add(method.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return methods.size > 0 ? [...methods] : null;
}

/**
 * A known path asked with a method it does not have answers 405 with `Allow` (RFC 9110), not
 * 404; OPTIONS answers 204 with `Allow`. An unknown path goes on to the 404.
 */
export function methodNotAllowed(app: RouterOwner) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const methods = routeMethods(app.router.stack, req.path);
    if (!methods || methods.includes(req.method)) return next();
    const allow = [...methods, 'OPTIONS'].join(', ');
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    next(
      new Problem(
        HttpStatus.METHOD_NOT_ALLOWED,
        'urn:nimbus:problem:method-not-allowed',
        'Method not allowed',
        `${req.path} answers ${allow}, not ${req.method}`,
      ),
    );
  };
}
