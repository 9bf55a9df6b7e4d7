import { ApplicationFailure, patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ComputeActivities, RecordsActivities } from '../contracts/activities.js';
import { FaultCodes } from '../contracts/errors.js';
import { TaskQueues, computeQueue } from '../contracts/task-queues.js';
import type { VolumeAttachmentInput } from '../contracts/volume-attachment.js';
import { controlPlane, hostTiming, undo } from './activity-options.js';
import { ProgressTracker } from './build-progress.js';
import { failureMessage, failureType } from './failures.js';
import { onHost } from './host-steps.js';
import { HOST_LEDGER_PATCH } from './patches.js';
import { recordsOf, storage, storageNode, storageNodeUndo, storageUndo } from './proxies.js';
import { Saga } from './saga.js';

/**
 * Attaches a standalone volume to a running instance: reserve (control plane) → export to
 * the instance's host (storage node) → attach (the host's hypervisor). Each undo is
 * registered before its step; on failure they run in reverse and the volume is available
 * again, with no ACL entry left for the host. Recorded as the instance's attach_volume action.
 */
export async function AttachVolume(input: VolumeAttachmentInput): Promise<{ device: string }> {
  const { instanceId, volumeId, projectId, host } = input;
  const record = recordsOf();
  const timing = hostTiming(input);
  const computeUndo = proxyActivities<ComputeActivities>(undo(computeQueue(host), timing));
  const progress = new ProgressTracker(instanceId);
  const saga = new Saga(progress, (name) => record.recordStep({ instanceId, step: name, host, phase: 'compensated' }));
  setCurrentDetails(`attach volume ${volumeId} on ${host}`);
  await record.recordStep({ instanceId, step: 'attach_volume', host, phase: 'start' });
  try {
    saga.add('unreserveVolume', () => storageUndo.unreserveVolume({ volumeId, instanceId }));
    const volume = await storage.reserveVolume.executeWithOptions(
      { ...controlPlane(TaskQueues.storage), summary: `reserve volume ${volumeId}` },
      [{ volumeId, instanceId, projectId, host }],
    );
    saga.add('unexportVolume', () => storageNodeUndo.unexportVolume({ volumeId, host }));
    await storageNode.exportVolume.executeWithOptions(
      { ...controlPlane(TaskQueues.storageNode), summary: `export volume ${volumeId} to ${host}` },
      [{ volume: { volumeId, sizeGb: volume.sizeGb, pool: volume.pool! }, connection: volume.connection, host }],
    );
    // What the host did is recorded by the control plane (the host never writes the database).
    const ledger = patched(HOST_LEDGER_PATCH);
    saga.add(`detachVolume(${host})`, async () => {
      await computeUndo.detachVolume({ instanceId, volumeId });
      if (ledger) await record.recordVolumeDetached({ volumeId, instanceId });
    });
    const attached = await onHost(host, timing)('attachVolume', `attach volume ${volumeId}`, { instanceId, volume });
    if (ledger) await record.recordVolumeAttached({ volumeId, instanceId, host, device: attached.device });
    await record.recordStep({ instanceId, step: 'attach_volume', host, phase: 'succeeded' });
    setCurrentDetails(`volume ${volumeId} attached as ${attached.device}`);
    return attached;
  } catch (err) {
    const failure = await failed(record, input, 'attach_volume', err);
    await saga.compensate();
    // The instance runs on: an undo that failed for good is named in the failure, not its status.
    const left = progress.leftovers();
    if (left.length === 0) throw failure;
    const names = left.map((l) => `${l.name} (${l.error})`).join('; ');
    throw ApplicationFailure.nonRetryable(`${failure.message}; cleanup incomplete, left: ${names}`, failure.type);
  }
}

/**
 * Detaches a volume from a running instance: the hypervisor lets go (device_del, then the
 * block node), the volume is available again, and the storage node no longer lets the
 * host in. Every step is idempotent, so a failed detach is simply asked for again.
 */
export async function DetachVolume(input: VolumeAttachmentInput): Promise<void> {
  const { instanceId, volumeId, host } = input;
  const record = recordsOf();
  setCurrentDetails(`detach volume ${volumeId} on ${host}`);
  await record.recordStep({ instanceId, step: 'detach_volume', host, phase: 'start' });
  try {
    const compute = proxyActivities<ComputeActivities>({
      ...undo(computeQueue(host), hostTiming(input)),
      retry: { maximumAttempts: 3 },
    });
    await compute.detachVolume({ instanceId, volumeId });
    if (patched(HOST_LEDGER_PATCH)) await record.recordVolumeDetached({ volumeId, instanceId });
    await storageNode.unexportVolume({ volumeId, host });
    await record.recordStep({ instanceId, step: 'detach_volume', host, phase: 'succeeded' });
    setCurrentDetails(`volume ${volumeId} detached`);
  } catch (err) {
    throw await failed(record, input, 'detach_volume', err);
  }
}

/** Records the failed action and says why, with the failure's own type when it has one. */
async function failed(
  record: RecordsActivities,
  input: VolumeAttachmentInput,
  step: string,
  err: unknown,
): Promise<ApplicationFailure> {
  const { instanceId, volumeId, host } = input;
  const message = failureMessage(err);
  await record.recordStep({ instanceId, step, host, phase: 'failed', message });
  setCurrentDetails(`${step} failed: ${message}`);
  return ApplicationFailure.nonRetryable(
    `${step} of volume ${volumeId} on instance ${instanceId} failed: ${message}`,
    failureType(err) ?? FaultCodes.HostStepFailed,
  );
}
