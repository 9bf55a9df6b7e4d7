/**
 * PostgreSQL restarts while a build is compensating. The undos that meet it (sessions
 * ended with 57P01, then refused connections) are retried until the database is back,
 * so every undo completes, the instance ends ERROR with the fault that started the
 * rollback, and the invariant checker finds nothing leaked. And the measurement of issue 16
 * finding 20: builds deleted (cancelled) just before a 10 s outage all end DELETED with
 * nothing leaked (before the error vocabulary, a refused connection failed an undo for good
 * and the saga forgot it: 24 leaked claims, IPs, ports and volumes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import {
  FAST_FAILURE_ENV,
  armFault,
  attachFailureUndos,
  clearFaults,
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

  it('builds deleted while it restarts (10 s down) all end DELETED, and nothing leaks', async () => {
    assert.ok(stack.postgres, 'the test stack runs the embedded PostgreSQL');
    const hosts = ['node-1', 'node-2', 'node-3'];
    await enableOnly(stack, hosts);
    // Each build hangs attaching its volume: everything else is taken when the DELETE comes.
    // The first undos (detach) hang too, until their timeout: the rollbacks are mid-way when
    // the database goes, and their retries meet the outage.
    for (const host of hosts) {
      await armFault(stack, host, 'attach_volume', 'hang', 6);
      await armFault(stack, host, 'detach_volume', 'hang', 2);
    }
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => createInstance(stack, `pg-del-${i}`, true)));
    const hanging = async () => {
      let left = 0;
      for (const host of hosts) left += await faultTimesLeft(stack, host, 'attach_volume');
      return left <= 18 - ids.length;
    };
    await stack.waitFor(hanging, 60_000, 'every build attaching its volume');
    // Cancelled mid-build: their sagas compensate into the outage.
    for (const id of ids) assert.equal((await stack.api('DELETE', `/v1/instances/${id}`)).status, 202);
    await db?.destroy();
    db = undefined;
    await stack.postgres.stop();
    await sleep(10_000);
    await stack.postgres.start();
    for (const host of hosts) await clearFaults(stack, host);

    const conn = await connectToStackDb(stack);
    db = conn;
    for (const id of ids) {
      const inst = await waitSettled(stack, id, 90_000, ['DELETED', 'ERROR']);
      const why = `${JSON.stringify(inst)}\n${(await actionLog(conn, id)).join('\n')}`;
      assert.equal(inst.status, 'DELETED', why);
      const undos = await undone(conn, id);
      for (const u of ['deleteVolume', 'deallocatePort']) assert.ok(undos.includes(u), `${u} was undone\n${why}`);
      assert.ok(
        undos.some((u) => u.startsWith('releaseClaim(')),
        `the claim was released\n${why}`,
      );
    }
    await waitUntilClean(stack, conn);
    assert.deepEqual(await buildingInstances(conn), []);
  });
});
