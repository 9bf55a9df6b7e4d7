import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { FaultCodes } from '../../contracts/errors.js';
import { DEAD_HOST, buildFailure, searchAttributes, startDelete, useHarness, unwiredOn } from './harness.js';

/**
 * DeleteInstance against a real dev server with a fake cloud: an ACTIVE instance is torn
 * down in the reverse order of its build, a second delete is harmless, and a dead host does
 * not block the delete (its agent's reconciliation cleans the host-local leftovers).
 */

const n1 = 'compute.node-1';

describe('DeleteInstance', () => {
  const h = useHarness();

  it('releases an owned volume, the port, the domain and the claim, then records DELETED', async () => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1', { volumeId: 'vol-owned', deleteOnTermination: true });
    const handle = await startDelete(h, { instanceId, host: 'node-1' }, 'ACTIVE');
    await handle.result();

    assert.deepEqual(h.cloud.actions(), [
      'storage:listInstanceVolumes',
      `${n1}:detachVolume`,
      'storage-node:destroyVolume',
      'storage:deleteVolume',
      ...unwiredOn(n1),
      'instances:recordDeleted',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordTaskState'), [{ instanceId, taskState: 'deleting' }]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }]);
    assert.equal(h.cloud.volumes.size, 0, 'a volume the instance owns goes with it');
    assert.deepEqual(h.cloud.leftovers(), []);
    assert.equal((await searchAttributes(handle)).status, 'DELETED');
  });

  it('keeps a standalone volume: detached and available again', async () => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1', { volumeId: 'vol-kept', deleteOnTermination: false });
    await (await startDelete(h, { instanceId, host: 'node-1' })).result();

    assert.deepEqual(h.cloud.actions().slice(0, 3), [
      'storage:listInstanceVolumes',
      `${n1}:detachVolume`,
      'storage:markVolumeDetached',
    ]);
    assert.ok(!h.cloud.actions().includes('storage:deleteVolume'));
    assert.deepEqual(h.cloud.volumes.get('vol-kept'), {
      volumeId: 'vol-kept',
      instanceId: null,
      sizeGb: 1,
      status: 'available',
      deleteOnTermination: false,
    });
    assert.deepEqual(h.cloud.leftovers(), []);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }]);
  });

  it('is harmless when run twice, and leaves a neighbour on the same host alone', async () => {
    const instanceId = randomUUID();
    const neighbour = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1', { volumeId: 'vol-a', deleteOnTermination: true });
    h.cloud.seedActive(neighbour, 'node-1', { volumeId: 'vol-b', deleteOnTermination: true });
    const neighbourHolds = h.cloud.leftovers().filter((l) => l.includes(neighbour) || l.includes('vol-b'));

    await (await startDelete(h, { instanceId, host: 'node-1' })).result();
    const first = h.cloud.actions().length;
    await (await startDelete(h, { instanceId, host: 'node-1' })).result();

    // The second run finds no volume and every other step is a no-op.
    assert.deepEqual(h.cloud.actions().slice(first), [
      'storage:listInstanceVolumes',
      ...unwiredOn(n1),
      'instances:recordDeleted',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }, { instanceId }]);
    assert.deepEqual(h.cloud.leftovers(), neighbourHolds, 'only the neighbour’s resources remain');
  });

  it('deletes an instance that never got a host with control-plane steps only', async () => {
    const instanceId = randomUUID();
    await (await startDelete(h, { instanceId, host: null })).result();
    assert.deepEqual(h.cloud.actions(), [
      'storage:listInstanceVolumes',
      'network-node:removeDhcpReservation',
      'network:deallocatePort',
      'scheduler:releaseClaim',
      'instances:recordDeleted',
    ]);
  });

  it('completes when the host is dead: host-local steps are skipped after the pickup timeout', async () => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, DEAD_HOST, { volumeId: 'vol-dead', deleteOnTermination: true });
    const handle = await startDelete(h, { instanceId, host: DEAD_HOST }, 'ACTIVE');
    await handle.result();

    // Nobody polls the dead host's queue: only control-plane calls reached the cloud.
    assert.deepEqual(h.cloud.actions(), [
      'storage:listInstanceVolumes',
      'storage-node:destroyVolume',
      'storage:deleteVolume',
      'network-node:removeDhcpReservation',
      'network:deallocatePort',
      'scheduler:releaseClaim',
      'instances:recordDeleted',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }]);
    assert.equal((await searchAttributes(handle)).status, 'DELETED');
    // What only the host itself can clean up waits for its reconciliation.
    assert.deepEqual(h.cloud.leftovers().sort(), [
      `attachment ${DEAD_HOST}/vol-dead`,
      `domain ${DEAD_HOST}/${instanceId}`,
      `host ledger claim ${DEAD_HOST}/${instanceId}`,
      `vif ${DEAD_HOST}/${instanceId}`,
    ]);
  });

  it('retries a step that fails for a while (a database restart) until it succeeds, then DELETED', async () => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1', { volumeId: 'vol-retry', deleteOnTermination: true });
    h.cloud
      .fail({ queue: 'network', activity: 'deallocatePort', mode: 'error', times: 2 })
      .fail({ queue: 'scheduler', activity: 'releaseClaim', mode: 'error', times: 1 });
    await (await startDelete(h, { instanceId, host: 'node-1' }, 'ACTIVE')).result();

    assert.equal(h.cloud.actions().filter((a) => a === 'network:deallocatePort').length, 3);
    assert.equal(h.cloud.actions().filter((a) => a === 'scheduler:releaseClaim').length, 2);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }]);
    assert.deepEqual(h.cloud.recordsOf('recordFault'), []);
    assert.deepEqual(h.cloud.leftovers(), []);
  });

  it('a step that fails for good: the rest still run, ERROR CleanupIncomplete names it; run again, DELETED', async () => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1', { volumeId: 'vol-stuck', deleteOnTermination: true });
    h.cloud.fail({ queue: 'storage', activity: 'deleteVolume', mode: 'fatal', type: 'VolumeStuck', times: 1 });
    const handle = await startDelete(h, { instanceId, host: 'node-1' }, 'ACTIVE');

    await buildFailure(handle, FaultCodes.CleanupIncomplete);
    assert.deepEqual(h.cloud.actions(), [
      'storage:listInstanceVolumes',
      `${n1}:detachVolume`,
      'storage-node:destroyVolume',
      'storage:deleteVolume', // once: non-retryable
      ...unwiredOn(n1),
      'instances:recordFault',
    ]);
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [], 'never DELETED over leftovers');
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.equal(fault.code, FaultCodes.CleanupIncomplete);
    assert.equal(fault.host, 'node-1');
    assert.match(fault.message, /after the delete; left: deleteVolume\(vol-stuck\) \(.*VolumeStuck.*\)$/);
    assert.deepEqual(h.cloud.leftovers(), ['volume vol-stuck']);
    assert.equal((await searchAttributes(handle)).status, 'ERROR');

    // The cleanup repair runs the delete again (the fault was transient after all): DELETED.
    await (await startDelete(h, { instanceId, host: 'node-1' }, 'ERROR')).result();
    assert.deepEqual(h.cloud.recordsOf('recordDeleted'), [{ instanceId }]);
    assert.deepEqual(h.cloud.leftovers(), []);
  });
});
