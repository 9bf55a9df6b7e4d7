import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Problem } from './problem.js';

/**
 * Token buckets per client key: `ratePerSec` requests a second on average, bursts up to
 * `burst`. In memory, per API process: enough to stop one runaway script; a shared limit
 * across replicas would belong in the load balancer.
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

function tooManyRequests(limiter: RateLimiter, wait: number): Problem {
  return new Problem(
    HttpStatus.TOO_MANY_REQUESTS,
    'urn:nimbus:problem:rate-limited',
    'Too many requests',
    `slow down: at most ${limiter.ratePerSec} requests a second (bursts of ${limiter.burst}); retry in ${wait} s`,
    { retryAfterSec: wait },
  );
}

/** How many clients may share one address before they meet its limit (a NAT, a CI runner). */
export const CLIENTS_PER_ADDRESS = 4;

/**
 * The API's two limits. Before authentication a request is only an address: every request
 * pays into its address's bucket (CLIENTS_PER_ADDRESS times the per-client rate), so invalid
 * or random tokens are throttled, and cost a token lookup only within that budget. After
 * authentication it pays into its token's bucket, keyed by the token itself, never by how
 * the header was spelled. A rate of 0 turns both off.
 */
export class ClientLimits {
  readonly byAddress: RateLimiter | null;
  readonly byToken: RateLimiter | null;

  constructor(ratePerSec: number, now: () => number = Date.now) {
    const n = CLIENTS_PER_ADDRESS;
    this.byAddress = ratePerSec > 0 ? new RateLimiter(ratePerSec * n, ratePerSec * 2 * n, now) : null;
    this.byToken = ratePerSec > 0 ? new RateLimiter(ratePerSec, ratePerSec * 2, now) : null;
  }

  /** Express middleware for the address limit; health and metrics are never limited. */
  readonly addressLimit = (req: Request, res: Response, next: NextFunction): void => {
    if (!this.byAddress || req.path === '/healthz' || req.path === '/metrics') return next();
    const wait = this.byAddress.take(`ip:${req.ip}`);
    if (wait === 0) return next();
    res.setHeader('Retry-After', String(wait));
    next(tooManyRequests(this.byAddress, wait));
  };

  /** The token limit, once the guard knows which token it is: throws a 429 Problem. */
  takeForToken(tokenId: string, res?: Pick<Response, 'setHeader'>): void {
    const wait = this.byToken?.take(`token:${tokenId}`) ?? 0;
    if (wait === 0) return;
    res?.setHeader('Retry-After', String(wait));
    throw tooManyRequests(this.byToken!, wait);
  }
}
