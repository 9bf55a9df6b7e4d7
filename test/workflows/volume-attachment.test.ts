import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { FaultCodes } from '../../contracts/errors.js';
import { TaskQueues } from '../../contracts/task-queues.js';
import { volumeAttachmentWorkflowId, type VolumeAttachmentInput } from '../../contracts/volume-attachment.js';
import { ATTACH_FAILS_ON_NODE_1, PICKUP_SEC, buildFailure, useHarness, type Harness } from './harness.js';

/**
 * AttachVolume and DetachVolume on a running instance: reserve → export to the host →
 * attach, undone in reverse on failure (the volume available again, no ACL entry left);
 * detach lets go on the host, then on the storage node. Each recorded as the instance's action.
 */

const n1 = 'compute.node-1';

function start(
  h: Harness,
  type: 'AttachVolume' | 'DetachVolume',
  input: VolumeAttachmentInput,
): Promise<WorkflowHandle> {
  return h.client.workflow.start(type, {
    taskQueue: TaskQueues.workflows,
    workflowId: `${volumeAttachmentWorkflowId(input.instanceId, input.volumeId)}-${type}`,
    args: [input],
  });
}

describe('volume attachments on a running instance', () => {
  const h = useHarness();
  let input: VolumeAttachmentInput;

  beforeEach(() => {
    const instanceId = randomUUID();
    h.cloud.seedActive(instanceId, 'node-1');
    const volumeId = randomUUID();
    h.cloud.volumes.set(volumeId, {
      volumeId,
      instanceId: null,
      sizeGb: 2,
      status: 'available',
      deleteOnTermination: false,
    });
    input = { instanceId, volumeId, projectId: 'project-1', host: 'node-1', hostPickupTimeoutSec: PICKUP_SEC };
  });

  it('attaches: reserve, export to the host, attach; then detaches: host first, then the storage node', async () => {
    assert.deepEqual(await (await start(h, 'AttachVolume', input)).result(), { device: '/dev/vdb' });
    assert.deepEqual(h.cloud.actions(), [
      'storage:reserveVolume',
      'storage-node:exportVolume',
      `${n1}:attachVolume`,
      'instances:recordVolumeAttached',
    ]);
    assert.ok(h.cloud.exports.has(`node-1/${input.volumeId}`));
    assert.ok(h.cloud.attachments.has(`node-1/${input.volumeId}`));
    const steps = h.cloud.recordsOf('recordStep').map((r) => `${r.step}:${r.phase}`);
    assert.deepEqual(steps, ['attach_volume:start', 'attach_volume:succeeded']);

    await (await start(h, 'DetachVolume', input)).result();
    assert.deepEqual(h.cloud.actions('instances:recordVolumeAttached'), [
      `${n1}:detachVolume`,
      'instances:recordVolumeDetached',
      'storage-node:unexportVolume',
    ]);
    assert.ok(!h.cloud.exports.has(`node-1/${input.volumeId}`), 'the host is no longer let in');
    assert.equal(h.cloud.volumes.get(input.volumeId)?.status, 'available');
  });

  it('undoes in reverse when the attach fails: detach, unexport, unreserve; the volume stays', async () => {
    h.cloud.fail(ATTACH_FAILS_ON_NODE_1);
    await buildFailure(await start(h, 'AttachVolume', input), FaultCodes.HostStepFailed);
    assert.deepEqual(h.cloud.actions(`${n1}:attachVolume`), [
      `${n1}:detachVolume`,
      'instances:recordVolumeDetached',
      'storage-node:unexportVolume',
      'storage:unreserveVolume',
    ]);
    assert.deepEqual(h.cloud.volumes.get(input.volumeId)?.instanceId, null, 'available again, never deleted');
    assert.deepEqual([...h.cloud.exports, ...h.cloud.attachments], []);
    const steps = h.cloud.recordsOf('recordStep').map((r) => `${r.step}:${r.phase}`);
    assert.deepEqual(steps, [
      'attach_volume:start',
      'attach_volume:failed',
      'detachVolume(node-1):compensated',
      'unexportVolume:compensated',
      'unreserveVolume:compensated',
    ]);
  });
});
