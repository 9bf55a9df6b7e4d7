/**
 * Replays every recorded history (test/histories/, made by `npm run record-histories` from
 * real builds) against the current workflow code. A change that would break a build already
 * running in production fails here, with the scenario that broke.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { WorkflowBundle } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../apps/common/workflow-code.js';
import { bundle, loadHistories, replayAll } from '../support/histories.js';

const histories = loadHistories();

describe('recorded histories replay against the current workflow code', () => {
  let code: WorkflowBundle;
  before(async () => {
    code = await bundle(WORKFLOWS_PATH);
  });

  it('has the scenarios that matter', () => {
    const names = histories.map((h) => h.scenario);
    for (const required of [
      'success-with-volume',
      'success-after-refusal',
      'success-after-reschedule',
      'no-valid-host',
      'fail-at-plug-vif',
      'fail-at-attach-volume',
      'cancel-during-spawn',
      'delete-active',
      'success-with-existing-volume',
      'stop-active',
      'dhcp-state',
      // Recorded before the network node's DHCP step (patched 'dhcp-reservation').
      'success-with-volume-before-dhcp',
      'fail-at-plug-vif-before-dhcp',
      'delete-active-before-dhcp',
      // The storage node's steps (patch storage-node-export); the ones above replay the path without.
      'success-with-volume-storage-node',
      'success-with-existing-volume-storage-node',
      'fail-at-attach-volume-storage-node',
      'delete-active-storage-node',
      'attach-volume-active',
      'detach-volume-active',
      'reconcile-storage',
      'host-sync',
      'host-faults',
      // Recorded before hosts kept their own claims ledger (patched 'host-ledger').
      'success-with-volume-before-host-ledger',
      'success-after-refusal-before-host-ledger',
      'fail-at-attach-volume-before-host-ledger',
      'delete-active-before-host-ledger',
      'attach-volume-active-before-host-ledger',
      'detach-volume-active-before-host-ledger',
      // Recorded before records were held until one the user sees (patched 'held-records').
      'success-with-volume-before-held-records',
      'success-after-refusal-before-held-records',
      'success-after-reschedule-before-held-records',
      'fail-at-attach-volume-before-held-records',
      'cancel-cleanup-incomplete-before-held-records',
    ]) {
      assert.ok(names.includes(required), `test/histories/ lacks ${required}: run npm run record-histories`);
    }
    assert.deepEqual(
      new Set(histories.map((h) => h.workflowType)),
      new Set([
        'CreateInstance',
        'DeleteInstance',
        'InstancePowerAction',
        'DhcpState',
        'AttachVolume',
        'DetachVolume',
        'ReconcileStorage',
        'HostSync',
        'HostFaults',
      ]),
    );
  });

  it('replays each history without non-determinism', async () => {
    const failures = await replayAll(code, histories);
    assert.deepEqual(
      failures,
      [],
      failures
        .map(
          (f) =>
            `${f.scenario}: ${f.error}\n  A change to workflow code broke running builds. ` +
            `Guard it with patched() (see README, "Changing workflows safely"), ` +
            `or, if no such build runs anywhere, re-record.`,
        )
        .join('\n'),
    );
  });
});
