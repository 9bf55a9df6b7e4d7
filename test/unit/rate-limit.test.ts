import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, rateLimit } from '../../apps/api/common/rate-limit.js';
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

  it('answers 429 problem+json with Retry-After, and never limits health checks', () => {
    const mw = rateLimit(new RateLimiter(1, 1, () => 0));
    const headers: Record<string, string> = {};
    const res = { setHeader: (k: string, v: string) => (headers[k] = v) } as never;
    const req = (path: string) => ({ path, headers: { authorization: 'Bearer x' }, ip: '127.0.0.1' }) as never;
    const outcomes: unknown[] = [];
    mw(req('/v1/instances'), res, (err?: unknown) => outcomes.push(err));
    mw(req('/v1/instances'), res, (err?: unknown) => outcomes.push(err));
    mw(req('/healthz'), res, (err?: unknown) => outcomes.push(err));
    assert.equal(outcomes[0], undefined);
    assert.ok(outcomes[1] instanceof Problem);
    assert.equal(outcomes[1].status, 429);
    assert.equal(outcomes[1].type, 'urn:nimbus:problem:rate-limited');
    assert.equal(headers['Retry-After'], '1');
    assert.equal(outcomes[2], undefined);
  });
});
