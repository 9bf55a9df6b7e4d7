import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { FaultCodes } from '../../contracts/errors.js';
import {
  ATTACH_FAILS_ON_NODE_1,
  buildFailure,
  createInput,
  queryStatus,
  startCreate,
  useHarness,
  unwiredOn,
} from './harness.js';

/**
 * CreateInstance with the user's existing (standalone) volume: it is reserved instead of
 * created, attached, and on any failure detached and given back — never deleted.
 */

const n1 = 'compute.node-1';

describe('CreateInstance with an existing volume', () => {
  const h = useHarness();
  let volumeId: string;

  beforeEach(() => {
    volumeId = randomUUID();
    h.cloud.volumes.set(volumeId, {
      volumeId,
      instanceId: null,
      sizeGb: 5,
      status: 'available',
      deleteOnTermination: false,
    });
  });

  it('reserves and attaches the volume instead of creating one', async () => {
    const input = createInput({ volume: { volumeId } });
    const handle = await startCreate(h, input);
    assert.deepEqual(await handle.result(), { host: 'node-1' });
    assert.deepEqual(h.cloud.actions('network:allocatePort'), [
      'network-node:addDhcpReservation',
      `${n1}:plugVif`,
      'instances:recordPortStatus',
      'storage:reserveVolume',
      'storage-node:exportVolume',
      `${n1}:attachVolume`,
      'instances:recordVolumeAttached',
      'instances:recordActive',
    ]);
    const taskStates = h.cloud
      .recordsOf('recordStep')
      .filter((r) => r.phase === 'start' && r.taskState)
      .map((r) => r.taskState);
    // The task states the API shows, in the order the user sees them, after the 'scheduling' the
    // API admitted the build with (the first schedule's start moves nothing: it waits).
    assert.deepEqual(taskStates, ['pulling_image', 'spawning', 'networking', 'attaching_volume']);
    assert.deepEqual((await queryStatus(handle)).steps.map((s) => s.step).slice(-2), [
      'export_volume',
      'attach_volume',
    ]);
    assert.deepEqual(h.cloud.volumes.get(volumeId), {
      volumeId,
      instanceId: input.instanceId,
      sizeGb: 5,
      status: 'in-use',
      deleteOnTermination: false,
    });
    assert.ok(h.cloud.attachments.has(`node-1/${volumeId}`));
  });

  it('detaches and gives the volume back, never deleting it, when attaching fails', async () => {
    h.cloud.fail(ATTACH_FAILS_ON_NODE_1);
    const handle = await startCreate(h, createInput({ volume: { volumeId } }));
    await buildFailure(handle, FaultCodes.HostStepFailed);
    assert.deepEqual(h.cloud.actions(`${n1}:attachVolume`), [
      `${n1}:detachVolume`,
      'instances:recordVolumeDetached',
      'storage-node:unexportVolume',
      'storage:unreserveVolume',
      ...unwiredOn(n1),
      'instances:recordFault',
    ]);
    assert.ok(!h.cloud.calls.includes('storage:deleteVolume'), 'a standalone volume is never deleted by a build');
    assert.deepEqual(h.cloud.volumes.get(volumeId), {
      volumeId,
      instanceId: null,
      sizeGb: 5,
      status: 'available',
      deleteOnTermination: false,
    });
    assert.deepEqual(h.cloud.leftovers(), []);
  });

  it('fails VolumeNotAvailable at reserve_volume when another build holds the volume, and undoes the rest', async () => {
    const holder = randomUUID();
    h.cloud.volumes.get(volumeId)!.instanceId = holder;
    const handle = await startCreate(h, createInput({ volume: { volumeId } }));
    await buildFailure(handle, FaultCodes.VolumeNotAvailable);
    const [{ fault }] = h.cloud.recordsOf('recordFault');
    assert.deepEqual(
      { code: fault.code, step: fault.step },
      { code: FaultCodes.VolumeNotAvailable, step: 'reserve_volume' },
    );
    assert.deepEqual(h.cloud.actions('storage:reserveVolume'), [
      // What reserveVolume carried is written again with its failure (harmless: each has its time).
      'instances:recordPortStatus',
      'storage:unreserveVolume', // registered before its step: a no-op for a build that holds nothing
      ...unwiredOn(n1),
      'instances:recordFault',
    ]);
    assert.equal(h.cloud.volumes.get(volumeId)!.instanceId, holder, 'the other build keeps its hold');
  });
});
