/** The claim's own retry of database hiccups (activities/transient-retry.ts): no stack, no database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryTransient } from '../../activities/transient-retry.js';
import { FaultCodes } from '../../contracts/errors.js';
import { DomainError } from '../../core/errors.js';

const restarting = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('retryTransient', () => {
  it('retries a transient failure until the call succeeds', async () => {
    let calls = 0;
    const result = await retryTransient(
      () => {
        calls += 1;
        return calls < 3 ? Promise.reject(restarting()) : Promise.resolve('claimed');
      },
      { budgetMs: 5000, firstDelayMs: 5 },
    );
    assert.deepEqual([result, calls], ['claimed', 3]);
  });

  it('rethrows a refusal at once', async () => {
    let calls = 0;
    const refused = new DomainError(FaultCodes.HostRefused, 'host n lacks RAM');
    await assert.rejects(
      retryTransient(
        () => {
          calls += 1;
          return Promise.reject(refused);
        },
        { budgetMs: 5000, firstDelayMs: 5 },
      ),
      (err) => err === refused,
    );
    assert.equal(calls, 1);
  });

  it('gives up with the last error once its budget is spent, or at once when cancelled', async () => {
    const started = Date.now();
    await assert.rejects(
      retryTransient(() => Promise.reject(restarting()), { budgetMs: 100, firstDelayMs: 10, maxDelayMs: 20 }),
      /administrator command/,
    );
    assert.ok(Date.now() - started < 1000);
    const cancelled = new AbortController();
    cancelled.abort();
    let calls = 0;
    await assert.rejects(
      retryTransient(
        () => {
          calls += 1;
          return Promise.reject(restarting());
        },
        { budgetMs: 5000, signal: cancelled.signal },
      ),
      /administrator command/,
    );
    assert.equal(calls, 1);
  });
});
