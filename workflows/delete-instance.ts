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
import { CLEANUP_INCOMPLETE_PATCH, DHCP_RESERVATION_PATCH, HOST_LEDGER_PATCH } from './patches.js';
import { type Leftover, cleanupIncompleteFault, recordCleanupIncomplete } from './cleanup.js';
import { STORAGE_NODE_PATCH, networkUndo, recordsOf, schedulerUndo, storageNodeUndo, storageUndo } from './proxies.js';

/**
 * Tears an instance down in the reverse order of its build: volumes, VIF and port, domain,
 * claim. Every step is idempotent, so deleting twice (or an instance that never finished
 * building) is harmless. A host that is down does not block the delete: its agent destroys
 * the leftovers when it comes back (reconciliation), as Nova's "local delete" does. A step
 * that fails for good ends the instance ERROR CleanupIncomplete (the cleanup repair, run by
 * the controller, starts this workflow again for it).
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

  /**
   * Runs one teardown step. Its activity is retried until it succeeds; one that fails for good
   * is noted as left over and the rest still run (as the build's saga does), so the instance
   * ends ERROR CleanupIncomplete naming it, never DELETED over it. Deletes recorded before
   * that change stop at the failing step, as they did.
   */
  const leftovers: Leftover[] = [];
  async function step(name: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!patched(CLEANUP_INCOMPLETE_PATCH)) throw err;
      log.error('delete step failed for good; continuing with the rest', { name, error: failureMessage(err) });
      leftovers.push({ name, error: failureMessage(err) });
    }
  }

  const onStorageNode = patched(STORAGE_NODE_PATCH);
  let volumes: Awaited<ReturnType<typeof storageUndo.listInstanceVolumes>> = [];
  await step('listInstanceVolumes', async () => (volumes = await storageUndo.listInstanceVolumes({ instanceId })));
  for (const { volumeId, deleteOnTermination, pool } of volumes) {
    await step(`detachVolume(${volumeId})`, () =>
      onHost(`detach volume ${volumeId}`, (c) => c.detachVolume({ instanceId, volumeId })),
    );
    if (deleteOnTermination) {
      // The target and the file first: a volume recorded deleted never has storage left behind.
      if (onStorageNode)
        await step(`destroyVolume(${volumeId})`, () => storageNodeUndo.destroyVolume({ volumeId, pool }));
      await step(`deleteVolume(${volumeId})`, () => storageUndo.deleteVolume({ volumeId, instanceId }));
    } else {
      await step(`markVolumeDetached(${volumeId})`, () => storageUndo.markVolumeDetached({ volumeId, instanceId }));
      if (onStorageNode && host)
        await step(`unexportVolume(${volumeId})`, () => storageNodeUndo.unexportVolume({ volumeId, host }));
    }
  }
  await step('unplugVif', () => onHost('unplug VIF', (c) => c.unplugVif({ instanceId })));
  // The reservation goes before its port: the address must not be handed out while reserved.
  if (patched(DHCP_RESERVATION_PATCH)) await step('removeDhcpReservation', () => removeDhcpReservation(instanceId));
  await step('deallocatePort', () => networkUndo.deallocatePort({ instanceId }));
  await step('destroyDomain', () => onHost('destroy domain', (c) => c.destroyDomain({ instanceId })));
  // The host's ledger first, then the record of it: a dead host's ledger forgets it at its next sync.
  if (patched(HOST_LEDGER_PATCH)) {
    await step('releaseHostClaim', () => onHost('release claim', (c) => c.releaseHostClaim({ instanceId })));
  }
  await step('releaseClaim', () => schedulerUndo.releaseClaim({ instanceId }));
  if (leftovers.length > 0) {
    throw await recordCleanupIncomplete(instanceId, cleanupIncompleteFault(leftovers, 'delete', host));
  }
  await record.recordDeleted({ instanceId });
  if (workflowInfo().typedSearchAttributes.get(InstanceStatusKey) !== undefined) {
    upsertSearchAttributes([{ key: InstanceStatusKey, value: 'DELETED' }]);
  }
  setCurrentDetails('DELETED');
}
