/** A known path asked with another method: 405 with Allow (and OPTIONS: 204 with Allow), never 404. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { methodNotAllowed, routeMethods, type RouterOwner } from '../../apps/api/common/method-not-allowed.js';
import { Problem } from '../../apps/api/common/problem.js';

function app(): RouterOwner {
  const a = express();
  a.get('/v1/things/:id', (_req, res) => void res.end());
  a.delete('/v1/things/:id', (_req, res) => void res.end());
  a.post('/v1/things', (_req, res) => void res.end());
  a.all('/graphql', (_req, res) => void res.end());
  return a as unknown as RouterOwner;
}

function call(owner: RouterOwner, method: string, path: string) {
  const headers: Record<string, string> = {};
  let status: number | undefined;
  let passed: unknown = 'not called';
  const res = {
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v),
    status: (s: number) => ((status = s), res),
    end: () => res,
  };
  const next: NextFunction = (err?: unknown) => void (passed = err);
  methodNotAllowed(owner)({ method, path } as Request, res as unknown as Response, next);
  return { headers, status, passed };
}

describe('405 for a known path with the wrong method', () => {
  it('lists the methods of every route at a path, GET bringing HEAD', () => {
    const { router } = app();
    assert.deepEqual(routeMethods(router.stack, '/v1/things/42')?.sort(), ['DELETE', 'GET', 'HEAD']);
    assert.equal(routeMethods(router.stack, '/v1/nothing'), null);
  });

  it('answers 405 with Allow; passes known methods and unknown paths on', () => {
    const owner = app();
    const wrong = call(owner, 'PUT', '/v1/things/42');
    assert.ok(wrong.passed instanceof Problem);
    assert.equal(wrong.passed.status, 405);
    assert.equal(wrong.headers.allow, 'GET, DELETE, HEAD, OPTIONS');
    assert.equal(call(owner, 'TRACE', '/v1/things').headers.allow, 'POST, OPTIONS');
    assert.equal(call(owner, 'GET', '/v1/things/42').passed, undefined);
    assert.equal(call(owner, 'HEAD', '/v1/things/42').passed, undefined);
    assert.equal(call(owner, 'PUT', '/v1/nothing').passed, undefined);
    assert.equal(call(owner, 'PATCH', '/graphql').passed, undefined, 'a route for every method');
  });

  it('answers OPTIONS with 204 and Allow', () => {
    const options = call(app(), 'OPTIONS', '/v1/things/42');
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, 'GET, DELETE, HEAD, OPTIONS');
    assert.equal(options.passed, 'not called');
  });
});
