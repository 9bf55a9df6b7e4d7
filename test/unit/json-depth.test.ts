import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonDepth } from '../../apps/api/common/json-depth.js';

describe('jsonDepth', () => {
  it('counts objects and arrays, not scalars', () => {
    assert.equal(jsonDepth('x'), 0);
    assert.equal(jsonDepth(null), 0);
    assert.equal(jsonDepth({}), 1);
    assert.equal(jsonDepth({ a: [1, { b: 2 }], c: 'x' }), 3);
  });

  it('walks 100,000 levels without recursion, and stops counting past the limit', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    assert.equal(jsonDepth(deep), 100_000);
    assert.equal(jsonDepth(deep, 32), 33);
  });
});
