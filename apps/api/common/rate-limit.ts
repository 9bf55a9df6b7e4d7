import { HttpStatus } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem.js';

/**
 * Token buckets per client (its bearer token, else its address): `ratePerSec` requests a
 * second on average, bursts up to `burst`. In memory, per API process: enough to stop one
 * runaway script; a shared limit across replicas would belong in the load balancer.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request's token; returns 0 when allowed, else the seconds to wait. */
  take(client: string): number {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
    b.at = t;
    this.buckets.set(client, b);
    if (this.buckets.size > 100_000) this.prune(t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.ratePerSec);
  }

  /** Full buckets carry no state worth keeping. */
  private prune(t: number): void {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((t - b.at) / 1000) * this.ratePerSec >= this.burst) this.buckets.delete(k);
  }
}

/** 429 with Retry-After, as problem+json; health and metrics are never limited. */
export function rateLimit(limiter: RateLimiter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === '/healthz' || req.path === '/metrics') return next();
    const auth = req.headers.authorization;
    const client = auth ? `t:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
    const wait = limiter.take(client);
    if (wait === 0) return next();
    res.setHeader('Retry-After', String(wait));
    next(
      new Problem(
        HttpStatus.TOO_MANY_REQUESTS,
        'urn:nimbus:problem:rate-limited',
        'Too many requests',
        `slow down: at most ${limiter.ratePerSec} requests a second (bursts of ${limiter.burst}); retry in ${wait} s`,
      ),
    );
  };
}
