/**
 * PostgreSQL restarts while a build is compensating. The undos that meet it (sessions
 * ended with 57P01, then refused connections) are retried until the database is back,
 * so every undo completes, the instance ends ERROR with the fault that started the
 * rollback, and the invariant checker finds nothing leaked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import {
  FAST_FAILURE_ENV,
  armFault,
  attachFailureUndos,
  createInstance,
  enableOnly,
  faultTimesLeft,
  undone,
  waitSettled,
} from '../support/fault-cases.js';
import { actionLog, buildingInstances, connectToStackDb, waitUntilClean } from '../support/invariants.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** Longer than a host step's timeout (3 s in FAST_FAILURE_ENV): the hung undo's retry meets the outage. */
const OUTAGE_MS = 6_000;

describe('a PostgreSQL restart during compensation', () => {
  let stack: TestStack;
  let db: DataSource | undefined;

  before(async () => {
    stack = await startTestStack({ env: FAST_FAILURE_ENV });
  });

  after(async () => {
    await db?.destroy();
    await stack?.stop();
  });

  it('the undos complete once it is back; the instance ends ERROR and nothing leaks', async () => {
    assert.ok(stack.postgres, 'the test stack runs the embedded PostgreSQL');
    await enableOnly(stack, ['node-1']);
    await armFault(stack, 'node-1', 'attach_volume', 'error', 1);
    // The first undo hangs until its timeout: the window in which the database goes away.
    await armFault(stack, 'node-1', 'detach_volume', 'hang', 1);
    const id = await createInstance(stack, 'pg-restart', true);
    const detachHanging = async () => (await faultTimesLeft(stack, 'node-1', 'detach_volume')) === 0;
    await stack.waitFor(detachHanging, 60_000, 'the detach undo running');

    await stack.postgres.stop();
    await sleep(OUTAGE_MS);
    await stack.postgres.start();

    const inst = await waitSettled(stack, id, 90_000);
    db = await connectToStackDb(stack);
    const why = `${JSON.stringify(inst)}\n${(await actionLog(db, id)).join('\n')}`;
    assert.equal(inst.status, 'ERROR', why);
    assert.equal(inst.fault?.code, 'InjectedFault', why);
    assert.equal(inst.fault?.step, 'attach_volume', why);
    const undos = await undone(db, id);
    for (const u of attachFailureUndos('node-1')) assert.ok(undos.includes(u), `${u} was undone\n${why}`);
    await waitUntilClean(stack, db);
    assert.deepEqual(await buildingInstances(db), []);
  });
});
