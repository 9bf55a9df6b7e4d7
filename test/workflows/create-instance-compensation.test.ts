import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { FaultCodes } from '../../contracts/errors.js';
import { attachFailureUndos } from '../support/fault-cases.js';
import {
  ATTACH_FAILS_ON_NODE_1,
  buildFailure,
  createInput,
  queryStatus,
  searchAttributes,
  startCreate,
  useHarness,
  unwiredOn,
} from './harness.js';

/**
 * CreateInstance when a failure no other host would fix, or a cancellation, ends the
 * build: the undos of what ran (each registered before its step) run in reverse, a failing
 * undo is retried, and the fake cloud is left empty.
 */

const n1 = 'compute.node-1';

describe('CreateInstance compensation', () => {
  const h = useHarness();

  it('a control-plane step that fails before writing the records it carries leaves them to the next write', async () => {
    // The 8th step record is the first one allocatePort carries (the spawn's end): its write fails.
    h.cloud.fail({ queue: 'instances', activity: 'recordStep', mode: 'fatal', type: 'DbDown', skip: 7, times: 1 });
    const handle = await startCreate(h, createInput());
    await buildFailure(handle, 'DbDown');
    const rows = h.cloud.recordsOf('recordStep').map((r) => `${r.step} ${r.phase}`);
    // Tried once with the step, written again with its failure, then the undos.
    assert.deepEqual(rows.slice(6, 11), [
      'spawn start',
      'spawn succeeded',
      'spawn succeeded',
      'allocate_port start',
      'allocate_port failed',
    ]);
    assert.deepEqual(h.cloud.leftovers(), []);
  });

  it('aborts on NetworkExhausted without rescheduling and undoes the build in reverse', async () => {
    h.cloud.fail({ queue: 'network', activity: 'allocatePort', mode: 'fatal', type: FaultCodes.NetworkExhausted });
    const input = createInput({ volume: { sizeGb: 1 } });
    const handle = await startCreate(h, input);

    await buildFailure(handle, FaultCodes.NetworkExhausted);
    assert.deepEqual(h.cloud.actions(), [
      'scheduler:selectHost', // once: a full IP pool is not the host's fault
      `${n1}:claimResources`,
      'instances:recordClaim',
      `${n1}:pullImage`,
      `${n1}:spawnDomain`,
      'network:allocatePort', // once: non-retryable
      // The port's undo was registered before its step, so it runs (and is a no-op).
      'network:deallocatePort',
      `${n1}:destroyDomain`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordFault',
    ]);
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.equal(fault.code, FaultCodes.NetworkExhausted);
    assert.equal(fault.step, 'allocate_port');
    assert.match(fault.message, /allocatePort on network failed/);
    assert.deepEqual(h.cloud.leftovers(), []);

    const status = await queryStatus(handle);
    assert.equal(status.status, 'ERROR');
    assert.deepEqual(status.fault, fault);
    assert.deepEqual(status.attempts, [{ host: 'node-1', outcome: 'claimed', reason: null }]);
    assert.deepEqual(
      status.compensations.map((c) => [c.name, c.outcome]),
      [
        ['deallocatePort', 'succeeded'],
        ['destroyDomain(node-1)', 'succeeded'],
        ['releaseHostClaim(node-1)', 'succeeded'],
        ['releaseClaim(node-1)', 'succeeded'],
      ],
    );
    // Each undo also closes its action row, so the API shows what was rolled back.
    const compensated = h.cloud
      .recordsOf('recordStep')
      .filter((r) => r.phase === 'compensated')
      .map((r) => r.step);
    assert.deepEqual(compensated, [
      'deallocatePort',
      'destroyDomain(node-1)',
      'releaseHostClaim(node-1)',
      'releaseClaim(node-1)',
    ]);
    assert.deepEqual(await searchAttributes(handle), { status: 'ERROR', host: 'node-1' });
  });

  it('undoes the port, domain and claim when the network node cannot reserve the address', async () => {
    h.cloud.fail({ queue: 'network-node', activity: 'addDhcpReservation', mode: 'fatal', type: 'HostStepFailed' });
    await buildFailure(await startCreate(h, createInput()), 'HostStepFailed');
    assert.deepEqual(h.cloud.actions('network:allocatePort'), [
      'network-node:addDhcpReservation',
      // Registered before its step: runs even though nothing was reserved.
      'network-node:removeDhcpReservation',
      'network:deallocatePort',
      `${n1}:destroyDomain`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordFault',
    ]);
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.equal(fault.step, 'add_dhcp_reservation');
    assert.deepEqual(h.cloud.leftovers(), []);
  });

  it('undoes every earlier step in reverse when attaching the volume fails', async () => {
    h.cloud.fail(ATTACH_FAILS_ON_NODE_1);
    const handle = await startCreate(h, createInput({ volume: { sizeGb: 1 } }));

    await buildFailure(handle, FaultCodes.HostStepFailed);
    const undos = [
      `${n1}:detachVolume`,
      'instances:recordVolumeDetached',
      'storage-node:destroyVolume',
      'storage:deleteVolume',
      ...unwiredOn(n1),
    ];
    assert.deepEqual(h.cloud.actions(`${n1}:attachVolume`), [...undos, 'instances:recordFault']);
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.deepEqual(
      { ...fault, message: '' },
      { code: FaultCodes.HostStepFailed, message: '', step: 'attach_volume', host: 'node-1' },
    );
    assert.equal(h.cloud.volumes.size, 0, 'the volume the build created is deleted');
    assert.deepEqual(h.cloud.leftovers(), []);
    const status = await queryStatus(handle);
    assert.deepEqual(
      status.compensations.map((c) => c.name),
      attachFailureUndos('node-1'),
    );
  });

  it('compensates and records DELETED when the build is cancelled during spawn', async () => {
    h.cloud.fail({ queue: n1, activity: 'spawnDomain', mode: 'hang', when: 'after' });
    const input = createInput();
    const handle = await startCreate(h, input);
    await h.cloud.reached(`${n1}:spawnDomain`);
    await handle.cancel();

    const err = await handle.result().then(
      () => assert.fail('a cancelled build does not complete'),
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
      `cancelled, got ${String(err)}`,
    );
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    // The spawn step acknowledged the cancellation before its undo ran (no race).
    assert.deepEqual(h.cloud.actions(`${n1}:spawnDomain`), [
      `${n1}:destroyDomain`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordDeleted',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId: input.instanceId }]);
    assert.deepEqual(h.cloud.recordsOf('recordFault'), [], 'a cancelled build is not a fault');
    assert.deepEqual(h.cloud.leftovers(), []);

    const status = await queryStatus(handle);
    assert.equal(status.status, 'DELETED');
    assert.deepEqual(
      status.compensations.map((c) => c.outcome),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    assert.equal((await searchAttributes(handle)).status, 'DELETED');
  });

  it('releases the failed host when the build is cancelled while that attempt is being recorded', async () => {
    // Attempt 1 on node-1 fails at spawn (another host could succeed), and the DELETE comes in
    // while the saga records that attempt, before it has released node-1.
    h.cloud
      .fail({ queue: n1, activity: 'spawnDomain', mode: 'fatal', type: FaultCodes.HostStepFailed, when: 'after' })
      .fail({ queue: 'instances', activity: 'recordAttempt', mode: 'hang', ms: 1000, skip: 1, times: 1 });
    const input = createInput();
    const handle = await startCreate(h, input);
    await h.cloud.reached('instances:recordAttempt', 2);
    await handle.cancel();

    await assert.rejects(
      handle.result(),
      (e: unknown) => e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure,
    );
    assert.deepEqual(h.cloud.leftovers(), [], 'node-1 keeps neither the domain nor the claim');
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId: input.instanceId }]);
  });

  it('retries an undo that fails once, and the undos after it still run', async () => {
    h.cloud
      .fail({ queue: 'network', activity: 'allocatePort', mode: 'fatal', type: FaultCodes.NetworkExhausted })
      .fail({ queue: n1, activity: 'destroyDomain', mode: 'error', times: 1 });
    const handle = await startCreate(h, createInput());

    assert.equal((await buildFailure(handle)).type, FaultCodes.NetworkExhausted);
    assert.deepEqual(h.cloud.actions('network:allocatePort'), [
      'network:deallocatePort',
      `${n1}:destroyDomain`, // fails (retryable)
      `${n1}:destroyDomain`, // the retry succeeds
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordFault',
    ]);
    assert.deepEqual(h.cloud.leftovers(), []);
    const status = await queryStatus(handle);
    assert.deepEqual(
      status.compensations.map((c) => [c.name, c.outcome]),
      [
        ['deallocatePort', 'succeeded'],
        ['destroyDomain(node-1)', 'succeeded'],
        ['releaseHostClaim(node-1)', 'succeeded'],
        ['releaseClaim(node-1)', 'succeeded'],
      ],
    );
  });

  it('ends CleanupIncomplete naming an undo that fails for good, after running the others', async () => {
    h.cloud
      .fail({ queue: 'network', activity: 'allocatePort', mode: 'fatal', type: FaultCodes.NetworkExhausted })
      .fail({ queue: n1, activity: 'destroyDomain', mode: 'fatal', type: 'DomainStuck' });
    const input = createInput();
    const handle = await startCreate(h, input);

    const failure = await buildFailure(handle, FaultCodes.CleanupIncomplete);
    assert.deepEqual(h.cloud.actions('network:allocatePort'), [
      'network:deallocatePort',
      `${n1}:destroyDomain`, // once: non-retryable
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordFault',
    ]);
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.equal(fault.code, FaultCodes.CleanupIncomplete);
    assert.equal(fault.step, 'allocate_port', 'the step that failed the build');
    assert.match(fault.message, /after the build failed with NetworkExhausted/);
    assert.match(fault.message, /left: destroyDomain\(node-1\) \(.*DomainStuck.*\)$/);
    assert.equal(failure.message, fault.message);
    const status = await queryStatus(handle);
    assert.equal(status.status, 'ERROR');
    assert.deepEqual(status.fault, fault);
    assert.deepEqual(
      status.compensations.map((c) => [c.name, c.outcome]),
      [
        ['deallocatePort', 'succeeded'],
        ['destroyDomain(node-1)', 'failed'],
        ['releaseHostClaim(node-1)', 'succeeded'],
        ['releaseClaim(node-1)', 'succeeded'],
      ],
    );
    // The domain is what is left, and the fault says so: the cleanup repair finishes it.
    assert.deepEqual(h.cloud.leftovers(), [`domain node-1/${input.instanceId}`]);
    assert.equal((await searchAttributes(handle)).status, 'ERROR');
  });

  it('a cancelled build whose undo fails for good ends ERROR CleanupIncomplete, never DELETED', async () => {
    h.cloud
      .fail({ queue: n1, activity: 'spawnDomain', mode: 'hang', when: 'after' })
      .fail({ queue: 'scheduler', activity: 'releaseClaim', mode: 'fatal', type: 'ClaimStuck' });
    const input = createInput();
    const handle = await startCreate(h, input);
    await h.cloud.reached(`${n1}:spawnDomain`);
    await handle.cancel();

    await buildFailure(handle, FaultCodes.CleanupIncomplete);
    assert.deepEqual(h.cloud.actions(`${n1}:spawnDomain`), [
      `${n1}:destroyDomain`,
      `${n1}:releaseHostClaim`,
      'scheduler:releaseClaim',
      'instances:recordFault',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [], 'never DELETED over leftovers');
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.equal(fault.code, FaultCodes.CleanupIncomplete);
    assert.match(fault.message, /after the delete; left: releaseClaim\(node-1\) \(.*ClaimStuck.*\)$/);
    assert.equal(fault.host, 'node-1');
    assert.deepEqual(h.cloud.leftovers(), [`claim ${input.instanceId} on node-1`]);
    assert.equal((await queryStatus(handle)).status, 'ERROR');
    assert.equal((await searchAttributes(handle)).status, 'ERROR');
  });
});
