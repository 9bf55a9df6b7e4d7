import assert from 'node:assert/strict';
import { HttpStatus } from '@nestjs/common';
import { describe, it } from 'node:test';
import { ClientLimits, RateLimiter } from '../../apps/api/common/rate-limit.js';
import { Problem } from '../../apps/api/common/problem.js';

describe('API rate limit', () => {
  it('allows a burst, then the sustained rate, per client', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 20, () => now);
    const allowed = Array.from({ length: 25 }, () => limiter.take('a')).filter((w) => w === 0).length;
    assert.equal(allowed, 20, 'the burst');
    assert.equal(limiter.take('b'), 0, 'another client has its own bucket');
    assert.ok(limiter.take('a') >= 1, 'then told to wait');
    now += 500; // half a second refills 5 requests
    assert.equal(Array.from({ length: 8 }, () => limiter.take('a')).filter((w) => w === 0).length, 5);
  });

  it('answers 429 problem+json with Retry-After per address, and never limits health checks', () => {
    const limits = new ClientLimits(1, () => 0); // per address: 4 a second, bursts of 8
    const headers: Record<string, string> = {};
    const res = { setHeader: (k: string, v: string) => (headers[k] = v) } as never;
    const req = (path: string, ip = '127.0.0.1') => ({ path, headers: {}, ip }) as never;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 9; i++) limits.addressLimit(req('/v1/instances'), res, (err?: unknown) => outcomes.push(err));
    limits.addressLimit(req('/healthz'), res, (err?: unknown) => outcomes.push(err));
    limits.addressLimit(req('/v1/instances', '10.0.0.9'), res, (err?: unknown) => outcomes.push(err));
    assert.deepEqual(outcomes.slice(0, 8), Array(8).fill(undefined));
    const refused = outcomes[8];
    assert.ok(refused instanceof Problem);
    assert.equal(refused.status, 429);
    assert.equal(refused.type, 'urn:nimbus:problem:rate-limited');
    assert.equal(headers['Retry-After'], '1');
    assert.equal(outcomes[9], undefined, 'health checks are never limited');
    assert.equal(outcomes[10], undefined, 'another address has its own bucket');
  });

  it('throttles requests with made-up tokens by address: no spelling of the header buys a fresh bucket', () => {
    // Before, the key was the raw Authorization header: each spelling (or random token) got a new bucket.
    const limits = new ClientLimits(1, () => 0);
    const spellings = ['Bearer x', 'bearer x', 'Bearer  x', 'BEARER x', 'Bearer y', 'Bearer z', 'Bearer w', 'b', 'c'];
    const outcomes = spellings.map((authorization) => {
      let out: unknown;
      const req = { path: '/v1/instances', headers: { authorization }, ip: '192.0.2.1' } as never;
      limits.addressLimit(req, { setHeader: () => undefined } as never, (err?: unknown) => (out = err));
      return out;
    });
    assert.equal(outcomes.filter((o) => o instanceof Problem).length, 1, 'the ninth request from the address');
  });

  it('limits an authenticated token by its id, whatever else shares its address', () => {
    const limits = new ClientLimits(1, () => 0); // per token: 1 a second, bursts of 2
    limits.takeForToken('t1');
    limits.takeForToken('t1');
    assert.throws(
      () => limits.takeForToken('t1'),
      (err: unknown) => err instanceof Problem && err.status === HttpStatus.TOO_MANY_REQUESTS,
    );
    limits.takeForToken('t2');
    const off = new ClientLimits(0);
    for (let i = 0; i < 1000; i++) off.takeForToken('t1');
  });
});
