/** U+0000 in a URL or a JSON body is a 400 at the edge (PostgreSQL text cannot hold it: it was a 500). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request, Response } from 'express';
import { containsNul, refuseNulCharacters } from '../../apps/api/common/nul-characters.js';
import { Problem } from '../../apps/api/common/problem.js';

function refused(originalUrl: string, body?: unknown): unknown {
  let passed: unknown = 'not called';
  refuseNulCharacters({ originalUrl, body } as Request, {} as Response, (err?: unknown) => (passed = err));
  return passed;
}

describe('NUL characters', () => {
  it('finds them in strings and keys at any depth', () => {
    assert.ok(containsNul({ disabled: true, reason: 'a\u0000b' }));
    assert.ok(containsNul([{ deep: [['x', 'y\u0000']] }]));
    assert.ok(containsNul({ 'k\u0000': 1 }));
    assert.ok(!containsNul({ name: 'web-1', volume: { sizeGb: 1 }, list: [null, 2, 'z'] }));
  });

  it('refuses them in the URL or the body with a 400 problem', () => {
    const inBody = refused('/v1/hosts/node-1', { disabled: true, reason: '\u0000' });
    assert.ok(inBody instanceof Problem);
    assert.equal(inBody.status, 400);
    assert.ok(refused('/v1/hosts/a%00b') instanceof Problem);
    assert.ok(refused('/v1/instances?host=x%00') instanceof Problem);
    assert.equal(refused('/v1/hosts/node-1', { disabled: true, reason: 'maintenance' }), undefined);
    assert.equal(refused('/v1/hosts/a%2500b'), undefined, 'a percent sign followed by 00 is not a NUL');
  });
});
