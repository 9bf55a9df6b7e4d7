import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { TimeoutFailure, TimeoutType } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { createHostFaultActivities } from '../../activities/host-faults.js';
import type { HostFaultsInput } from '../../contracts/failure-injection.js';
import { TaskQueues, hostFaultsWorkflowId } from '../../contracts/task-queues.js';
import { HostFaultStore } from '../../core/failure-injection/host-fault-store.js';
import type { HostFaults } from '../../workflows/host-faults.js';
import { lateBound } from '../support/late-bound.js';
import { useTempDir } from '../support/temp-dir.js';
import { useWorkflowEnv } from '../support/workflow-env.js';
import { DEAD_HOST, PICKUP_SEC } from './harness.js';

/**
 * HostFaults against a real dev server: the request runs on the host's queue, against the
 * host's own store (its node directory), and a dead host fails it at the pickup timeout.
 */

let nodeDir = '';
let faults: HostFaultStore | undefined;
useTempDir('nimbus-host-faults-wf-', (dir) => {
  nodeDir = dir;
  faults = HostFaultStore.inNodeDir(dir);
});
/** node-1's store, as its agent holds it (one per node directory). */
const store = lateBound('node-1’s fault store', () => faults);

const env = useWorkflowEnv(() => ({
  records: {},
  activityQueues: { 'compute.node-1': createHostFaultActivities({ faults: store }) },
}));

const ask = (input: HostFaultsInput) =>
  env.client.workflow.execute<typeof HostFaults>('HostFaults', {
    taskQueue: TaskQueues.workflows,
    workflowId: hostFaultsWorkflowId(input.host, randomUUID()),
    args: [input],
  });

const summary = (faults: Array<{ step: string; mode: string; times: number }>) =>
  faults.map((f) => [f.step, f.mode, f.times]);

describe('HostFaults', () => {
  it('arms on the host and answers what it holds; list shows firings taken; clear disarms', async () => {
    const host = 'node-1';
    assert.deepEqual(await ask({ host, action: 'clear' }), []);
    await ask({ host, action: 'arm', fault: { step: 'spawn', mode: 'error', times: 2 } });
    const armed = await ask({ host, action: 'arm', fault: { step: 'claim', mode: 'hang', times: 1 } });
    assert.deepEqual(summary(armed), [
      ['claim', 'hang', 1],
      ['spawn', 'error', 2],
    ]);
    // A step on the host takes a firing; the next read shows the count going down.
    assert.equal(await store.take('spawn'), 'error');
    assert.deepEqual(summary(await ask({ host, action: 'list' })), [
      ['claim', 'hang', 1],
      ['spawn', 'error', 1],
    ]);
    assert.deepEqual(await ask({ host, action: 'clear' }), []);
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(
      await HostFaultStore.inNodeDir(nodeDir).list(),
      [],
      'cleared on disk too: a restarted agent has none',
    );
  });

  it('a dead host fails the request at the pickup timeout, not later', async () => {
    const started = Date.now();
    await assert.rejects(ask({ host: DEAD_HOST, action: 'list', hostPickupTimeoutSec: PICKUP_SEC }), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      let cause: unknown = err.cause;
      while (cause instanceof Error && !(cause instanceof TimeoutFailure)) cause = cause.cause;
      assert.ok(cause instanceof TimeoutFailure, String(err.cause));
      assert.equal(cause.timeoutType, TimeoutType.SCHEDULE_TO_START);
      return true;
    });
    assert.ok(Date.now() - started < (PICKUP_SEC + 5) * 1000, `took ${Date.now() - started} ms`);
  });
});
