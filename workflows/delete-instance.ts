import {
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ComputeActivities } from '../contracts/activities.js';
import type { DeleteInstanceInput } from '../contracts/instances.js';
import { InstanceStatusKey } from '../contracts/search-attributes.js';
import { computeQueue } from '../contracts/task-queues.js';
import { hostTiming, undo } from './activity-options.js';
import { failureMessage, isHostUnreachable } from './failures.js';
import { removeDhcpReservation } from './dhcp-steps.js';
import { DHCP_RESERVATION_PATCH } from './patches.js';
import { STORAGE_NODE_PATCH, networkUndo, recordsOf, schedulerUndo, storageNodeUndo, storageUndo } from './proxies.js';

/**
 * Tears an instance down in the reverse order of its build: volumes, VIF and port, domain,
 * claim. Every step is idempotent, so deleting twice (or an instance that never finished
 * building) is harmless. A host that is down does not block the delete: its agent destroys
 * the leftovers when it comes back (reconciliation), as Nova's "local delete" does.
 */
export async function DeleteInstance(input: DeleteInstanceInput): Promise<void> {
  const { instanceId, host } = input;
  const record = recordsOf();
  // Pickup, step and heartbeat timeouts of host steps: the input's overrides or the defaults.
  const timing = hostTiming(input);
  await record.recordTaskState({ instanceId, taskState: 'deleting' });
  const compute = host ? proxyActivities<ComputeActivities>(undo(computeQueue(host), timing)) : null;

  /** A host-local undo; a dead host is left to its own reconciliation. */
  async function onHost(what: string, run: (c: ComputeActivities) => Promise<unknown>): Promise<void> {
    if (!compute) return;
    try {
      setCurrentDetails(`${what} on ${host}`);
      await run(compute);
    } catch (err) {
      if (!isHostUnreachable(err)) throw err;
      log.warn('host did not answer; its reconciliation will finish the job', {
        host,
        what,
        error: failureMessage(err),
      });
    }
  }

  const onStorageNode = patched(STORAGE_NODE_PATCH);
  for (const { volumeId, deleteOnTermination, pool } of await storageUndo.listInstanceVolumes({ instanceId })) {
    await onHost(`detach volume ${volumeId}`, (c) => c.detachVolume({ instanceId, volumeId }));
    if (deleteOnTermination) {
      // The target and the file first: a volume recorded deleted never has storage left behind.
      if (onStorageNode) await storageNodeUndo.destroyVolume({ volumeId, pool });
      await storageUndo.deleteVolume({ volumeId });
    } else {
      await storageUndo.markVolumeDetached({ volumeId });
      if (onStorageNode && host) await storageNodeUndo.unexportVolume({ volumeId, host });
    }
  }
  await onHost('unplug VIF', (c) => c.unplugVif({ instanceId }));
  // The reservation goes before its port: the address must not be handed out while reserved.
  if (patched(DHCP_RESERVATION_PATCH)) await removeDhcpReservation(instanceId);
  await networkUndo.deallocatePort({ instanceId });
  await onHost('destroy domain', (c) => c.destroyDomain({ instanceId }));
  await schedulerUndo.releaseClaim({ instanceId });
  await record.recordDeleted({ instanceId });
  if (workflowInfo().typedSearchAttributes.get(InstanceStatusKey) !== undefined) {
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'DELETED' }]);
  }
  setCurrentDetails('DELETED');
}
