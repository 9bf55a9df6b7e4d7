import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, parseContentRange, parseRange } from '../../core/images/range.js';

describe('parseRange', () => {
  it('reads the three single-range forms', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=500-', 1000), { start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  });

  it('clamps what runs past the end', () => {
    assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=999-999', 1000), { start: 999, end: 999 });
  });

  it('says unsatisfiable when no byte can be served', () => {
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=1000-2000', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-1', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=99999999999999999999-', 1000), 'unsatisfiable');
  });

  it('ignores what it will not serve as a range (whole file instead)', () => {
    assert.equal(parseRange(undefined, 1000), null);
    assert.equal(parseRange(null, 1000), null);
    assert.equal(parseRange('', 1000), null);
    assert.equal(parseRange('bytes=0-1,5-6', 1000), null, 'multi-range');
    assert.equal(parseRange('items=0-1', 1000), null, 'other unit');
    assert.equal(parseRange('bytes=5-1', 1000), null, 'last before first');
    assert.equal(parseRange('bytes=-', 1000), null);
    assert.equal(parseRange('bytes=a-b', 1000), null);
    assert.equal(parseRange('bytes=1.5-2', 1000), null);
    assert.equal(parseRange('bytes=-1-2', 1000), null);
  });

  it('accepts the unit in any case and stray spaces', () => {
    assert.deepEqual(parseRange('Bytes=10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(parseRange(' bytes = 10 - 19 ', 100), { start: 10, end: 19 });
  });
});

describe('Content-Range', () => {
  it('builds the 206 and 416 values', () => {
    assert.equal(contentRange({ start: 0, end: 99 }, 1000), 'bytes 0-99/1000');
    assert.equal(contentRange('unsatisfiable', 1000), 'bytes */1000');
  });

  it('reads a 206 value back', () => {
    assert.deepEqual(parseContentRange('bytes 100-199/1000'), { start: 100, end: 199, size: 1000 });
    assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199, size: null });
    assert.equal(parseContentRange('bytes */1000'), null);
    assert.equal(parseContentRange(null), null);
  });
});
