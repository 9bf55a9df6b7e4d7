/**
 * Chaos with the stack's own infrastructure: 10 builds and 5 deletes in flight while
 * PostgreSQL is stopped for 10 s, and, separately, while the Temporal dev server is killed
 * with `kill -9` and brought back by the stack itself. Every build ends ACTIVE (or ERROR with
 * a fault), every delete ends DELETED, and the invariant checker finds nothing leaked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { FAST_FAILURE_ENV, createInstance, waitSettled } from '../support/fault-cases.js';
import { buildingInstances, connectToStackDb, waitUntilClean } from '../support/invariants.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const BUILDS = 10;
const DELETES = 5;

describe('chaos: the stack loses its database or its Temporal server mid-flight', () => {
  let stack: TestStack;
  let db: DataSource | undefined;

  before(async () => {
    // Steps slow enough that the outage lands while builds and deletes are running.
    stack = await startTestStack({ env: { ...FAST_FAILURE_ENV, NIMBUS_HYPERVISOR_DELAY_MS: '400' } });
  });

  after(async () => {
    await db?.destroy();
    await stack?.stop();
  });

  /** Starts 10 builds (every other one with a volume) and deletes 5 ACTIVE instances, without waiting. */
  async function inFlight(tag: string): Promise<{ builds: string[]; deletes: string[] }> {
    const doomed = await Promise.all(
      Array.from({ length: DELETES }, (_, i) => createInstance(stack, `${tag}-doomed-${i}`, i % 2 === 0)),
    );
    for (const id of doomed) assert.equal((await waitSettled(stack, id, 120_000)).status, 'ACTIVE');
    const builds = await Promise.all(
      Array.from({ length: BUILDS }, (_, i) => createInstance(stack, `${tag}-${i}`, i % 2 === 0)),
    );
    for (const id of doomed) assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
    return { builds, deletes: doomed };
  }

  async function settledCleanly(run: { builds: string[]; deletes: string[] }): Promise<void> {
    for (const id of run.builds) {
      const inst = await waitSettled(stack, id, 180_000);
      assert.ok(inst.status === 'ACTIVE' || (inst.status === 'ERROR' && inst.fault?.code), JSON.stringify(inst));
    }
    for (const id of run.deletes) assert.equal((await waitSettled(stack, id, 180_000, ['DELETED'])).status, 'DELETED');
    db ??= await connectToStackDb(stack);
    await waitUntilClean(stack, db, 60_000);
    assert.deepEqual(await buildingInstances(db), []);
  }

  it('PostgreSQL stopped for 10 s: every build and delete finishes, nothing leaks', async () => {
    assert.ok(stack.postgres, 'the test stack runs the embedded PostgreSQL');
    const run = await inFlight('pg');
    await stack.postgres.stop();
    await sleep(10_000);
    await stack.postgres.start();
    await settledCleanly(run);
  });

  it('Temporal killed with kill -9 comes back by itself; /healthz names it meanwhile; everything finishes', async () => {
    assert.ok(stack.temporal, 'the test stack runs the Temporal dev server');
    const run = await inFlight('temporal');
    const before = stack.temporal.restarts();
    stack.temporal.crash();
    // While it is down (or just back), /healthz answers within a second or so, naming Temporal when down.
    const started = Date.now();
    const health = await stack.api('GET', '/healthz', undefined, { token: null });
    assert.ok(Date.now() - started < 3000, `healthz took ${Date.now() - started} ms`);
    if (health.status === 503) assert.deepEqual(health.body.down, ['temporal']);
    await stack.waitFor(
      () => Promise.resolve(stack.temporal!.restarts() > before),
      60_000,
      'Temporal restarted by the stack',
    );
    await settledCleanly(run);
    assert.equal((await stack.api('GET', '/healthz', undefined, { token: null })).status, 200);
  });
});
